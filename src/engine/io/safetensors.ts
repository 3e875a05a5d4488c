/**
 * safetensors: 8-byte little-endian header length, a JSON header {name: {dtype, shape,
 * data_offsets}}, then raw little-endian data. This reader validates everything and names the
 * file and tensor in every error; F16 and BF16 are widened to f32 on read.
 */
import { BadInputError } from '../../errors';
import { bytesSource, type ByteSource } from './byte-source';

export type SafetensorsDType = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32';

const DTYPE_BYTES: Record<SafetensorsDType, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 };
const MAX_HEADER_BYTES = 100 * 1024 * 1024;
const CORRUPT = 'the file is corrupt or was cut short: download or export it again';

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
  return { data: decodeTensor(info, await st.source.read(info.begin, info.end - info.begin)), shape: info.shape };
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

/** The header length from the file's first 8 bytes (null when the file is shorter), checked against its size. */
function checkedHeaderLength(first8: Uint8Array | null, fileBytes: number, file: string): number {
  if (!first8) throw new BadInputError(file, null, `is ${fileBytes} bytes long, too short for a safetensors header; the file is truncated or not safetensors`);
  const headerLength = Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > fileBytes) {
    throw new BadInputError(file, null, `declares a ${headerLength}-byte header (${8 + headerLength} bytes with its length) but the file has ${fileBytes} bytes; the file is truncated or not safetensors: download or export it again`);
  }
  return headerLength;
}

function parseHeader(
  headerBytes: Uint8Array,
  dataStart: number,
  fileBytes: number,
  file: string,
): { tensors: Map<string, TensorInfo>; metadata: Record<string, string> } {
  const fail = (why: string, where: string | null = null) => new BadInputError(file, where, why);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw fail(`its header is not valid JSON (${(e as Error).message}); ${CORRUPT}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw fail(`its header is not a JSON object; ${CORRUPT}`);
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(entry, fail);
      continue;
    }
    tensors.set(name, parseEntry(entry, name, dataStart, fileBytes, fail));
  }
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
  if (typeof e !== 'object' || e === null) throw fail(`header entry is not an object; ${CORRUPT}`, where);
  const dtype = e.dtype as SafetensorsDType;
  if (!(typeof dtype === 'string' && Object.hasOwn(DTYPE_BYTES, dtype))) {
    throw fail(`unsupported dtype ${JSON.stringify(e.dtype)}; supported: ${Object.keys(DTYPE_BYTES).join(', ')}; save the checkpoint in F32, F16 or BF16`, where);
  }
  const shape = e.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw fail(`invalid shape ${JSON.stringify(shape)}; ${CORRUPT}`, where);
  const offsets = e.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    throw fail(`invalid data_offsets ${JSON.stringify(offsets)}; ${CORRUPT}`, where);
  }
  const begin = dataStart + offsets[0];
  const end = dataStart + offsets[1];
  if (end > fileBytes) throw fail(`data ends at byte ${end} but the file has ${fileBytes} bytes; the file is truncated: download or export it again`, where);
  const expected = shape.reduce((a: number, b: number) => a * b, 1) * DTYPE_BYTES[dtype];
  if (end - begin !== expected) throw fail(`holds ${end - begin} bytes but shape [${shape.join(',')}] of ${dtype} needs ${expected}; ${CORRUPT}`, where);
  return { dtype, shape: shape as number[], begin, end };
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
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const [name, { data, shape }] of tensors) {
    const expected = shape.reduce((a, b) => a * b, 1);
    if (expected !== data.length) throw new Error(`writeSafetensors: ${name} has ${data.length} values for shape [${shape.join(',')}]`);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    parts.push(data);
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8);
  const jsonBytes = new TextEncoder().encode(json);
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
