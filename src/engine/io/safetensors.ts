/**
 * safetensors: 8-byte little-endian header length N, N bytes of UTF-8 JSON header
 * {name: {dtype, shape, data_offsets}, __metadata__?: {string: string}}, then the data section.
 * This reader checks everything the format requires (huggingface/safetensors, README "Format"):
 * N at most 100,000,000; the header a JSON object starting with '{' with no duplicate keys; each
 * range as long as dtype × shape; and the ranges, sorted by begin, tiling the data section exactly
 * (first at 0, no gap, no overlap, the last ending at the end of the file), so no byte is read as
 * two tensors or hidden between them. Every error names the file and the tensor; F16 and BF16 are
 * widened to f32 on read.
 */
import { BadInputError } from '../../errors';
import { bytesSource, type ByteSource } from './byte-source';

export type SafetensorsDType = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32';

const DTYPE_BYTES: Record<SafetensorsDType, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 };
/** The format's own limit on the header (the reference reader refuses larger ones). */
export const MAX_HEADER_BYTES = 100_000_000;
const CORRUPT = 'the file is corrupt or was cut short: download or export it again';
const OPEN_BRACE = 0x7b;

export interface TensorInfo {
  dtype: SafetensorsDType;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsFile {
  file: string;
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  source: ByteSource;
}

/** Reads and validates the header only; tensor data stays in the source until asked for. */
export async function openSafetensors(source: ByteSource): Promise<SafetensorsFile> {
  const file = source.name;
  const headerLength = checkedHeaderLength(source.size >= 8 ? await source.read(0, 8) : null, source.size, file);
  const { tensors, metadata } = parseHeader(await source.read(8, headerLength), 8 + headerLength, source.size, file);
  return { file, tensors, metadata, source };
}

/** Reads one tensor as f32 (F16/BF16 widened; integer dtypes converted). */
export async function readTensor(st: SafetensorsFile, name: string): Promise<{ data: Float32Array; shape: number[] }> {
  const info = st.tensors.get(name);
  if (!info) throw new BadInputError(st.file, `tensor ${name}`, 'is missing');
  const raw = await st.source.read(info.begin, info.end - info.begin);
  // A source shorter than its header promised: the file changed (or was cut) after it was opened.
  if (raw.byteLength !== info.end - info.begin) {
    throw new BadInputError(st.file, `tensor ${name}`, `only ${raw.byteLength} of its ${info.end - info.begin} bytes could be read; the file changed or was cut short since it was opened: load it again`);
  }
  return { data: decodeTensor(info, raw), shape: info.shape };
}

/** In-memory files (fixtures, small outputs): the same validation, synchronous reads. */
export function parseSafetensors(bytes: Uint8Array, file: string): SafetensorsFile & { bytes: Uint8Array } {
  const headerLength = checkedHeaderLength(bytes.byteLength >= 8 ? bytes.subarray(0, 8) : null, bytes.byteLength, file);
  const { tensors, metadata } = parseHeader(bytes.subarray(8, 8 + headerLength), 8 + headerLength, bytes.byteLength, file);
  return { file, tensors, metadata, source: bytesSource(bytes, file), bytes };
}

export function readTensorF32(st: SafetensorsFile & { bytes: Uint8Array }, name: string): { data: Float32Array; shape: number[] } {
  const info = st.tensors.get(name);
  if (!info) throw new BadInputError(st.file, `tensor ${name}`, 'is missing');
  return { data: decodeTensor(info, st.bytes.subarray(info.begin, info.end)), shape: info.shape };
}

/** The header length from the file's first 8 bytes (null when the file is shorter), checked against the format's limit and the file's size. */
function checkedHeaderLength(first8: Uint8Array | null, fileBytes: number, file: string): number {
  if (!first8) throw new BadInputError(file, null, `is ${fileBytes} bytes long, too short for a safetensors header; the file is truncated or not safetensors`);
  const declared = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (8n + declared > BigInt(fileBytes)) {
    throw new BadInputError(file, null, `declares a ${declared}-byte header (${8n + declared} bytes with its length) but the file has ${fileBytes} bytes; the file is truncated or not safetensors: download or export it again`);
  }
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    throw new BadInputError(file, null, `declares a ${declared}-byte header, above the safetensors limit of ${MAX_HEADER_BYTES} bytes; the file is corrupt or not safetensors: download or export it again`);
  }
  const headerLength = Number(declared);
  return headerLength;
}

function parseHeader(
  headerBytes: Uint8Array,
  dataStart: number,
  fileBytes: number,
  file: string,
): { tensors: Map<string, TensorInfo>; metadata: Record<string, string> } {
  const fail = (why: string, where: string | null = null) => new BadInputError(file, where, why);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw fail(`its header is not valid UTF-8 text; ${CORRUPT}`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw fail(`its header is not valid JSON (${(e as Error).message}); ${CORRUPT}`);
  }
  // The format requires the first byte to be '{' (no leading whitespace), which also makes it an object.
  if (headerBytes[0] !== OPEN_BRACE) throw fail(`its header must be a JSON object starting with '{' but starts with ${JSON.stringify(text.slice(0, 12))}; ${CORRUPT}`);
  // JSON.parse keeps the last of two equal keys; the format forbids them (two readers could disagree on which tensor is meant).
  const duplicate = duplicateTopLevelKey(text);
  if (duplicate !== null) throw fail(`appears twice in the header; ${CORRUPT}`, duplicate === '__metadata__' ? duplicate : `tensor ${duplicate}`);
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(entry, fail);
      continue;
    }
    tensors.set(name, parseEntry(entry, name, dataStart, fileBytes, fail));
  }
  checkLayout(tensors, dataStart, fileBytes, fail);
  return { tensors, metadata };
}

/** safetensors metadata is a map of strings to strings (null or absent: none). */
function parseMetadata(entry: unknown, fail: (why: string, where: string) => BadInputError): Record<string, string> {
  if (entry === null || entry === undefined) return {};
  if (typeof entry !== 'object' || Array.isArray(entry) || !Object.values(entry).every((v) => typeof v === 'string')) {
    throw fail(`must map names to strings, got ${JSON.stringify(entry).slice(0, 80)}; ${CORRUPT}`, '__metadata__');
  }
  return Object.assign(Object.create(null) as Record<string, string>, entry);
}

function parseEntry(
  entry: unknown,
  name: string,
  dataStart: number,
  fileBytes: number,
  fail: (why: string, where: string) => BadInputError,
): TensorInfo {
  const where = `tensor ${name}`;
  const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof e !== 'object' || e === null || Array.isArray(e)) throw fail(`header entry is not an object; ${CORRUPT}`, where);
  const dtype = e.dtype as SafetensorsDType;
  if (!(typeof dtype === 'string' && Object.hasOwn(DTYPE_BYTES, dtype))) {
    throw fail(`unsupported dtype ${JSON.stringify(e.dtype)}; supported: ${Object.keys(DTYPE_BYTES).join(', ')}; save the checkpoint in F32, F16 or BF16`, where);
  }
  const shape = e.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw fail(`invalid shape ${JSON.stringify(shape)}; ${CORRUPT}`, where);
  const offsets = e.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    throw fail(`invalid data_offsets ${JSON.stringify(offsets)}; ${CORRUPT}`, where);
  }
  const begin = dataStart + offsets[0];
  const end = dataStart + offsets[1];
  if (end > fileBytes) throw fail(`data ends at byte ${end} but the file has ${fileBytes} bytes; the file is truncated: download or export it again`, where);
  const expected = byteLength(shape as number[], DTYPE_BYTES[dtype]);
  if (end - begin !== expected) {
    throw fail(`holds ${end - begin} bytes but shape [${shape.join(',')}] of ${dtype} needs ${expected ?? 'more than 2^53'}; ${CORRUPT}`, where);
  }
  return { dtype, shape: shape as number[], begin, end };
}

/** dtype size × product(shape), or null past 2^53 (no real file is that large). */
function byteLength(shape: readonly number[], dtypeBytes: number): number | null {
  if (shape.includes(0)) return 0;
  let n = dtypeBytes;
  for (const d of shape) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) return null;
  }
  return n;
}

/**
 * The ranges, sorted by (begin, end), must tile the data section: the first begins at its byte 0,
 * each begins where the one before ends, and the last ends at the end of the file.
 */
function checkLayout(tensors: Map<string, TensorInfo>, dataStart: number, fileBytes: number, fail: (why: string, where?: string | null) => BadInputError): void {
  const sorted = [...tensors].sort(([, a], [, b]) => a.begin - b.begin || a.end - b.end);
  const rule = 'safetensors requires the tensors to fill the data section in order, with no gaps or overlaps';
  const offsets = (t: TensorInfo) => `[${t.begin - dataStart},${t.end - dataStart}]`;
  let at = dataStart;
  let previous: [string, TensorInfo] | null = null;
  for (const [name, info] of sorted) {
    if (info.begin < at) {
      throw fail(`data_offsets ${offsets(info)} overlap tensor ${previous![0]}'s ${offsets(previous![1])}; ${rule}; ${CORRUPT}`, `tensor ${name}`);
    }
    if (info.begin > at) {
      const after = previous ? `after tensor ${previous[0]}'s ${offsets(previous[1])}` : 'at the start of the data section';
      throw fail(`data_offsets ${offsets(info)} leave bytes ${at - dataStart}–${info.begin - dataStart} ${after} unused; ${rule}; ${CORRUPT}`, `tensor ${name}`);
    }
    at = info.end;
    previous = [name, info];
  }
  if (at !== fileBytes) {
    const covered = previous ? `the tensors cover only its first ${at - dataStart}` : 'the header lists no tensors';
    throw fail(`its data section has ${fileBytes - dataStart} bytes but ${covered}; ${fileBytes - at} bytes at the end belong to no tensor (${rule}); ${CORRUPT}`);
  }
}

/** The first key that appears twice in the top-level object of `text` (valid JSON, an object), or null. */
function duplicateTopLevelKey(text: string): string | null {
  const seen = new Set<string>();
  let depth = 0;
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      if (keyNext) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
        keyNext = false;
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      keyNext = depth === 1;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2c /* , */ && depth === 1) {
      keyNext = true;
    }
  }
  return null;
}

function decodeTensor(info: TensorInfo, raw: Uint8Array): Float32Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = info.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  switch (info.dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    case 'BF16':
      for (let i = 0; i < n; i++) out[i] = bfloat16ToFloat(view.getUint16(i * 2, true));
      break;
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      break;
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

const bf16Scratch = new DataView(new ArrayBuffer(4));
function bfloat16ToFloat(b: number): number {
  bf16Scratch.setUint32(0, b << 16, true);
  return bf16Scratch.getFloat32(0, true);
}

/** Serialises f32 tensors (in the given order) with optional string metadata. */
export function writeSafetensors(tensors: Iterable<[string, { data: Float32Array; shape: readonly number[] }]>, metadata?: Record<string, string>): Uint8Array {
  // No prototype: a tensor named __proto__ becomes a key like any other.
  const header = Object.create(null) as Record<string, unknown>;
  if (metadata) header.__metadata__ = metadata;
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const [name, { data, shape }] of tensors) {
    const expected = shape.reduce((a, b) => a * b, 1);
    if (expected !== data.length) throw new Error(`writeSafetensors: ${name} has ${data.length} values for shape [${shape.join(',')}]`);
    if (Object.hasOwn(header, name)) throw new Error(`writeSafetensors: ${name} is given twice`);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    parts.push(data);
    offset += data.byteLength;
  }
  // Padded with spaces (as the format allows) so the data starts 8-byte aligned; counted in bytes, not UTF-16 units.
  let jsonBytes = new TextEncoder().encode(JSON.stringify(header));
  jsonBytes = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat((8 - ((jsonBytes.byteLength + 8) % 8)) % 8));
  const out = new Uint8Array(8 + jsonBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(jsonBytes.byteLength), true);
  out.set(jsonBytes, 8);
  let at = 8 + jsonBytes.byteLength;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    at += p.byteLength;
  }
  return out;
}
