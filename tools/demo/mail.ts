/**
 * Turns one raw RFC 822 / MIME mail into a short, clean text for classification:
 * `Subject: …` as the first line, then the readable body on one line.
 *
 * The raw mail is handled as a "byte string" (one JS char per byte, i.e. latin1-decoded), so
 * MIME structure, transfer encodings and charsets are undone in the right order: structure on
 * bytes, then base64/quoted-printable to bytes, then bytes to text with the part's charset.
 * Only Node built-ins are used (Buffer for base64, TextDecoder for charsets).
 */

export const MAX_TEXT_CHARS = 1500;

/** A parsed message or MIME part: lower-cased header names → unfolded values, body as bytes. */
export interface MailPart {
  headers: Map<string, string>;
  body: string; // byte string
}

export interface ContentType {
  mediaType: string; // e.g. "text/plain", lower-case
  params: Map<string, string>; // lower-case names, e.g. charset, boundary
}

/** Bytes → byte string (one char per byte), the form every parser below works on. */
export function bytesToByteString(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function byteStringToBytes(byteString: string): Uint8Array {
  return Buffer.from(byteString, 'latin1');
}

/** Splits a message or part at the first empty line; CRLF is normalised to LF first. */
export function parsePart(raw: string): MailPart {
  const text = raw.replace(/\r\n?/g, '\n');
  const blank = text.startsWith('\n') ? 0 : text.indexOf('\n\n');
  const headerBlock = blank < 0 ? text : text.slice(0, blank);
  const body = blank < 0 ? '' : text.slice(blank + (blank === 0 ? 1 : 2));
  return { headers: parseHeaders(headerBlock), body };
}

/** Unfolds continuation lines; the first occurrence of a header wins. */
export function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  const unfolded = block.replace(/\n[ \t]+/g, ' ');
  for (const line of unfolded.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue; // the mbox "From " line and junk
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!/^[\x21-\x7e]+$/.test(name) || headers.has(name)) continue;
    headers.set(name, line.slice(colon + 1).trim());
  }
  return headers;
}

/** `text/plain; charset="iso-8859-1"` → { mediaType, params }. Missing → text/plain. */
export function parseContentType(value: string | undefined): ContentType {
  const params = new Map<string, string>();
  const [typePart, ...rest] = (value ?? '').split(';');
  const mediaType = typePart.trim().toLowerCase().replace(/\s+/g, '');
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    const name = param.slice(0, eq).trim().toLowerCase();
    const raw = param.slice(eq + 1).trim();
    params.set(name, raw.replace(/^"([^"]*)"?.*$/, '$1').trim());
  }
  return { mediaType: mediaType.includes('/') ? mediaType : 'text/plain', params };
}

/** Quoted-printable → bytes: soft line breaks (`=` at line end) vanish, `=XX` is one byte. */
export function decodeQuotedPrintable(body: string): string {
  return body
    .replace(/=[ \t]*\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Base64 → bytes; characters outside the alphabet (line breaks, junk) are ignored. */
export function decodeBase64(body: string): string {
  const clean = body.replace(/[^A-Za-z0-9+/]/g, '');
  return bytesToByteString(Buffer.from(clean, 'base64'));
}

export function decodeTransferEncoding(body: string, encoding: string | undefined): string {
  const name = (encoding ?? '').trim().toLowerCase();
  if (name === 'quoted-printable') return decodeQuotedPrintable(body);
  if (name === 'base64') return decodeBase64(body);
  return body; // 7bit, 8bit, binary, unknown
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

// windows-1252 bytes 0x80–0x9F (WHATWG table; the five unassigned bytes map to themselves).
const WINDOWS_1252_C1 =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/**
 * Our own windows-1252: Node 20's TextDecoder reads that label (and iso-8859-1, us-ascii,
 * which WHATWG maps to it) as plain latin1, so 0x93 would stay a control character instead
 * of “, and newer Node versions would give different output.
 */
function decodeWindows1252(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) {
    out += byte >= 0x80 && byte <= 0x9f ? WINDOWS_1252_C1[byte - 0x80] : String.fromCharCode(byte);
  }
  return out;
}

function tryDecode(bytes: Uint8Array, label: string, fatal: boolean): string | null {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal });
  } catch {
    return null; // a label TextDecoder does not know (RangeError)
  }
  if (decoder.encoding === 'windows-1252') return decodeWindows1252(bytes);
  try {
    return decoder.decode(bytes);
  } catch {
    return null; // invalid bytes under `fatal`
  }
}

/**
 * Bytes → text. No charset: UTF-8 when valid, else windows-1252 (what 2002 mailers meant).
 * A known label goes through TextDecoder (WHATWG maps iso-8859-1 and us-ascii to
 * windows-1252); UTF-8 that is not valid falls back to windows-1252; a label TextDecoder does
 * not know (`default`, `unknown-8bit`, …) is read as latin1.
 */
export function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  const label = (charset ?? '').trim().toLowerCase().replace(/^["']|["']$/g, '');
  if (label === '' || label === 'utf-8' || label === 'utf8') {
    return tryDecode(bytes, 'utf-8', true) ?? (tryDecode(bytes, 'windows-1252', false) as string);
  }
  // Mail bodies labelled "unicode"/"utf-16" here are 8-bit text, not UTF-16: TextDecoder
  // would turn them into CJK garbage.
  if (label === 'unicode' || label.startsWith('utf-16')) return latin1(bytes);
  return tryDecode(bytes, label, false) ?? latin1(bytes);
}

/** RFC 2047 encoded words in headers (`=?iso-8859-1?Q?caf=E9?=`); raw 8-bit bytes as UTF-8/1252. */
export function decodeHeaderValue(value: string): string {
  const encodedWord = /=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=/g;
  // Whitespace between two adjacent encoded words is not part of the text.
  const joined = value.replace(/(\?=)\s+(?==\?[^?\s]+\?[QqBb]\?)/g, '$1');
  let out = '';
  let last = 0;
  for (const match of joined.matchAll(encodedWord)) {
    out += decodeCharset(byteStringToBytes(joined.slice(last, match.index)), undefined);
    const [, charset, encoding, payload] = match;
    const bytes =
      encoding.toUpperCase() === 'B'
        ? decodeBase64(payload)
        : decodeQuotedPrintable(payload.replace(/_/g, ' '));
    out += decodeCharset(byteStringToBytes(bytes), charset.replace(/\*.*$/, ''));
    last = match.index + match[0].length;
  }
  return out + decodeCharset(byteStringToBytes(joined.slice(last)), undefined);
}

/** The parts between `--boundary` lines (preamble and epilogue dropped). */
export function splitMultipart(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  let current: string[] | null = null;
  for (const line of body.split('\n')) {
    const trimmed = line.trimEnd();
    if (trimmed === delimiter || trimmed === `${delimiter}--`) {
      if (current) parts.push(current.join('\n'));
      current = trimmed === delimiter ? [] : null;
      if (trimmed !== delimiter) break; // closing delimiter: the rest is epilogue
    } else if (current) {
      current.push(line);
    }
  }
  if (current) parts.push(current.join('\n')); // unterminated last part
  return parts;
}

interface TextParts {
  plain: string[];
  html: string[];
}

function decodedPartText(part: MailPart, type: ContentType): string {
  const bytes = decodeTransferEncoding(part.body, part.headers.get('content-transfer-encoding'));
  return decodeCharset(byteStringToBytes(bytes), type.params.get('charset'));
}

/** Walks the MIME tree (including attached messages) and collects decoded text parts. */
export function collectTextParts(part: MailPart, into: TextParts = { plain: [], html: [] }): TextParts {
  const type = parseContentType(part.headers.get('content-type'));
  const boundary = type.params.get('boundary');
  if (type.mediaType.startsWith('multipart/') && boundary) {
    const children = splitMultipart(part.body, boundary);
    for (const child of children) collectTextParts(parsePart(child), into);
    if (children.length > 0) return into;
    // A multipart without any delimiter line: read its body as plain text below.
  }
  if (type.mediaType === 'message/rfc822') {
    collectTextParts(parsePart(part.body), into);
  } else if (type.mediaType === 'text/html') {
    into.html.push(decodedPartText(part, type));
  } else if (type.mediaType === 'text/plain' || type.mediaType.startsWith('multipart/')) {
    into.plain.push(decodedPartText(part, type));
  }
  return into;
}

const NAMED_ENTITIES: Record<string, string> = {
  nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", copy: '©', reg: '®',
  trade: '™', hellip: '…', mdash: '—', ndash: '–', lsquo: '‘', rsquo: '’', ldquo: '“',
  rdquo: '”', bull: '•', middot: '·', laquo: '«', raquo: '»', pound: '£', euro: '€',
  yen: '¥', cent: '¢', deg: '°', times: '×', divide: '÷', sect: '§', para: '¶', iexcl: '¡',
  iquest: '¿', frac12: '½', frac14: '¼', frac34: '¾', agrave: 'à', aacute: 'á', acirc: 'â',
  auml: 'ä', atilde: 'ã', aring: 'å', ccedil: 'ç', egrave: 'è', eacute: 'é', ecirc: 'ê',
  euml: 'ë', igrave: 'ì', iacute: 'í', icirc: 'î', iuml: 'ï', ntilde: 'ñ', ograve: 'ò',
  oacute: 'ó', ocirc: 'ô', ouml: 'ö', otilde: 'õ', oslash: 'ø', ugrave: 'ù', uacute: 'ú',
  ucirc: 'û', uuml: 'ü', yacute: 'ý', szlig: 'ß', shy: '',
};

function codePointToString(code: number): string {
  const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
  return valid ? String.fromCodePoint(code) : '';
}

/** `&amp;`, `&#233;`, `&#xE9;`, `&eacute;`; unknown names stay as written. */
export function decodeHtmlEntities(text: string): string {
  return text.replace(/&(#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,7});?/g, (whole, ref: string) => {
    if (ref[0] === '#') {
      const hex = ref[1] === 'x' || ref[1] === 'X';
      return codePointToString(parseInt(ref.slice(hex ? 2 : 1), hex ? 16 : 10));
    }
    return NAMED_ENTITIES[ref] ?? NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

const BLOCK_TAGS = 'br|p|div|tr|td|th|li|ul|ol|table|h[1-6]|hr|blockquote|pre|title|center|dd|dt';

/** HTML → readable text: drops comments, scripts, styles; block tags become line breaks. */
export function htmlToText(html: string): string {
  return decodeHtmlEntities(
    html
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(new RegExp(`<\\/?(?:${BLOCK_TAGS})\\b[^>]*>`, 'gi'), '\n')
      .replace(/<\/?[A-Za-z!][^>]*>/g, ''),
  );
}

/** Plain-text parts that are really HTML (common in spam) are stripped like HTML. */
export function looksLikeHtml(text: string): boolean {
  return /<\/?(html|body|head|table|font|div)\b[^>]*>/i.test(text);
}

/** Control characters (C0 and C1) out, every run of whitespace (incl. NBSP) to one space, trimmed. */
export function collapseWhitespace(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufeff\u200b]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** At most `maxChars` UTF-16 units, cut at the last whitespace (hard cut if none in the last half). */
export function truncateAtWord(text: string, maxChars = MAX_TEXT_CHARS): string {
  if (text.length <= maxChars) return text;
  let cut = maxChars;
  while (cut > 0 && !/\s/.test(text[cut])) cut--;
  if (cut < maxChars / 2) {
    cut = maxChars;
    // Do not split a surrogate pair.
    if (/[\ud800-\udbff]/.test(text[cut - 1])) cut--;
  }
  return text.slice(0, cut).trimEnd();
}

/**
 * The readable body: text/plain parts, or the text/html parts stripped when there are none.
 * Entities are decoded in plain parts too (feeds and web forms mail `&#8220;` as plain text).
 */
export function bodyText(message: MailPart): string {
  const parts = collectTextParts(message);
  const texts =
    parts.plain.length > 0
      ? parts.plain.map((part) => (looksLikeHtml(part) ? htmlToText(part) : decodeHtmlEntities(part)))
      : parts.html.map(htmlToText);
  return collapseWhitespace(texts.join('\n'));
}

export interface CleanedMail {
  subject: string;
  body: string;
  text: string; // "Subject: …\nbody", at most MAX_TEXT_CHARS
}

/** One raw mail (bytes) → subject, body and the truncated training text. */
export function cleanMail(raw: Uint8Array, maxChars = MAX_TEXT_CHARS): CleanedMail {
  const message = parsePart(bytesToByteString(raw));
  const subject = collapseWhitespace(decodeHeaderValue(message.headers.get('subject') ?? ''));
  const body = bodyText(message);
  const text = truncateAtWord(`Subject: ${subject}`.trimEnd() + (body ? `\n${body}` : ''), maxChars);
  return { subject, body, text };
}

export interface LabelledText {
  text: string;
  label: string;
}

/** Keeps the first occurrence of each exact text. */
export function dropDuplicates<T extends LabelledText>(rows: readonly T[]): T[] {
  const seen = new Set<string>();
  return rows.filter((row) => {
    if (seen.has(row.text)) return false;
    seen.add(row.text);
    return true;
  });
}
