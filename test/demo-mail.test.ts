import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import {
  cleanMail,
  decodeHeaderValue,
  dropDuplicates,
  MAX_TEXT_CHARS,
  truncateAtWord,
} from '../tools/demo/mail';

/** An inline mail with LF line ends, as bytes; `latin1` keeps chars ≤ 0xFF as single bytes. */
function mail(lines: string[], encoding: 'utf8' | 'latin1' = 'utf8'): Uint8Array {
  return Buffer.from(lines.join('\n'), encoding);
}

describe('cleanMail', () => {
  it('keeps the Subject as the first line and collapses the body to one line', () => {
    const raw = mail([
      'From someone@example.com  Thu Aug 22 12:36:23 2002',
      'Subject: Hello',
      '  there',
      'Content-Type: text/plain',
      '',
      'First line.',
      '',
      '   Second\tline.',
    ]);
    expect(cleanMail(raw).text).toBe('Subject: Hello there\nFirst line. Second line.');
  });

  it('takes the text/plain part of a multipart/alternative, not the HTML one', () => {
    const raw = mail([
      'Subject: alt',
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative;',
      '\tboundary="----=_NextPart_000_0001"',
      '',
      'This is a multi-part message in MIME format.',
      '------=_NextPart_000_0001',
      'Content-Type: text/plain; charset="us-ascii"',
      '',
      'Plain version.',
      '------=_NextPart_000_0001',
      'Content-Type: text/html; charset="us-ascii"',
      '',
      '<html><body><b>HTML version.</b></body></html>',
      '------=_NextPart_000_0001--',
      'epilogue',
    ]);
    expect(cleanMail(raw).text).toBe('Subject: alt\nPlain version.');
  });

  it('undoes quoted-printable: soft line breaks and =XX bytes (UTF-8)', () => {
    const raw = mail([
      'Subject: qp',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'A soft=',
      'ly broken line, caf=C3=A9 and 1+1=3D2.',
    ]);
    expect(cleanMail(raw).body).toBe('A softly broken line, café and 1+1=2.');
  });

  it('undoes base64', () => {
    const encoded = Buffer.from('Base64 body: naïve text.\n', 'utf8').toString('base64');
    const raw = mail([
      'Subject: b64',
      'Content-Type: text/plain; charset="UTF-8"',
      'Content-Transfer-Encoding: BASE64',
      '',
      encoded.slice(0, 12),
      encoded.slice(12),
    ]);
    expect(cleanMail(raw).body).toBe('Base64 body: naïve text.');
  });

  it('decodes an iso-8859-1 body, and an unknown charset as latin1', () => {
    const body = ['Content-Transfer-Encoding: 8bit', '', 'Cr\u00e8me br\u00fbl\u00e9e \u00e0 2\u00a3'];
    const declared = mail(['Subject: x', 'Content-Type: text/plain; charset=ISO-8859-1', ...body], 'latin1');
    const unknown = mail(['Subject: x', 'Content-Type: text/plain; charset=unknown-8bit', ...body], 'latin1');
    expect(cleanMail(declared).body).toBe('Crème brûlée à 2£');
    expect(cleanMail(unknown).body).toBe('Crème brûlée à 2£');
  });

  it('reads undeclared 8-bit text as UTF-8 when valid, else windows-1252', () => {
    const utf8 = mail(['Subject: x', '', 'na\u00efve \u2013 ok']);
    const cp1252 = Buffer.concat([Buffer.from('Subject: x\n\nquote '), Buffer.from([0x93, 0x68, 0x69, 0x94])]);
    expect(cleanMail(utf8).body).toBe('naïve – ok');
    expect(cleanMail(cp1252).body).toBe('quote “hi”');
  });

  it('strips an HTML-only mail to text (tags, entities, comments, scripts, styles)', () => {
    const raw = mail([
      'Subject: =?iso-8859-1?Q?Caf=E9?= =?utf-8?B?IOKCrDU=?=',
      'Content-Type: text/html; charset=iso-8859-1',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      '<html><head><title>t</title><style>p { color: red }</style></head><body>',
      '<script>document.write("x")</script><!-- hidden words -->',
      '<p>Buy <b>n</b>ow&nbsp;&amp; save&#33;</p><p>Only &pound;5 &#x2014; call<br>today</p>',
      '</body></html>',
    ]);
    expect(cleanMail(raw).text).toBe('Subject: Café €5\nBuy now & save! Only £5 — call today');
  });

  it('strips text/plain parts that are really HTML', () => {
    const raw = mail(['Subject: x', '', '<HTML><BODY><FONT size=3D2>Hi</FONT> there</BODY></HTML>']);
    expect(cleanMail(raw).body).toBe('Hi there');
  });

  it('walks nested multiparts and attached messages, ignoring non-text parts', () => {
    const raw = mail([
      'Subject: nested',
      'Content-Type: multipart/mixed; boundary=outer',
      '',
      '--outer',
      'Content-Type: multipart/alternative; boundary="inner"',
      '',
      '--inner',
      'Content-Type: text/plain',
      '',
      'Inner text.',
      '--inner--',
      '--outer',
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64',
      '',
      'AAECAwQF',
      '--outer',
      'Content-Type: message/rfc822',
      '',
      'Subject: forwarded',
      '',
      'Forwarded text.',
      '--outer--',
    ]);
    expect(cleanMail(raw).body).toBe('Inner text. Forwarded text.');
  });

  it('keeps a subject-only mail (image spam) with an empty body', () => {
    const raw = mail(['Subject: Look', 'Content-Type: text/html', '', '<html><img src="x.gif"></html>']);
    expect(cleanMail(raw)).toEqual({ subject: 'Look', body: '', text: 'Subject: Look' });
  });
});

describe('decodeHeaderValue', () => {
  it('joins adjacent encoded words and keeps plain text around them', () => {
    expect(decodeHeaderValue('Re: =?ISO-8859-1?Q?J=F8rgen_?= =?ISO-8859-1?Q?Thomsen?= wrote')).toBe(
      'Re: Jørgen Thomsen wrote',
    );
  });
});

describe('truncateAtWord', () => {
  it('leaves short texts alone', () => {
    expect(truncateAtWord('short text', 20)).toBe('short text');
  });

  it('cuts at the last whitespace at or before the limit', () => {
    expect(truncateAtWord('one two three four', 9)).toBe('one two');
    expect(truncateAtWord('one two three four', 7)).toBe('one two');
    const long = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    const cut = truncateAtWord(long);
    expect(cut.length).toBeLessThanOrEqual(MAX_TEXT_CHARS);
    expect(cut.length).toBeGreaterThan(MAX_TEXT_CHARS - 10);
    expect(long.startsWith(cut)).toBe(true);
    expect(long[cut.length]).toBe(' ');
  });

  it('cuts hard when there is no whitespace in the last half, never splitting a surrogate pair', () => {
    expect(truncateAtWord('a'.repeat(30), 10)).toBe('a'.repeat(10));
    expect(truncateAtWord(`${'a'.repeat(9)}😀😀`, 10)).toBe('a'.repeat(9));
  });
});

describe('dropDuplicates', () => {
  it('keeps the first occurrence of each exact text', () => {
    const rows = [
      { text: 'a', label: 'ham', n: 1 },
      { text: 'b', label: 'spam', n: 2 },
      { text: 'a', label: 'ham', n: 3 },
      { text: 'A', label: 'ham', n: 4 },
    ];
    expect(dropDuplicates(rows).map((row) => row.n)).toEqual([1, 2, 4]);
  });
});

describe('committed demo CSVs (public/demo/data)', () => {
  const read = (name: string) => {
    const path = fileURLToPath(new URL(`../public/demo/data/${name}.csv`, import.meta.url));
    const csv = readFileSync(path, 'utf8');
    const parsed = Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: true });
    return { csv, parsed };
  };
  const train = read('train');
  const validation = read('validation');

  it.each([
    ['train', train],
    ['validation', validation],
  ])('%s.csv parses with header text,label, ham/spam labels, texts 1..1500 chars, LF only', (_, file) => {
    expect(file.parsed.errors).toEqual([]);
    expect(file.csv.startsWith('text,label\n')).toBe(true);
    expect(file.csv.includes('\r')).toBe(false);
    expect(file.parsed.meta.fields).toEqual(['text', 'label']);
    expect(file.parsed.data.length).toBeGreaterThan(100);
    for (const row of file.parsed.data) {
      expect(Object.keys(row)).toEqual(['text', 'label']);
      expect(['ham', 'spam']).toContain(row.label);
      expect(row.text.trim().length).toBeGreaterThan(0);
      expect(row.text.length).toBeLessThanOrEqual(MAX_TEXT_CHARS);
    }
  });

  it('has no duplicate texts, within or across the two files', () => {
    const texts = [...train.parsed.data, ...validation.parsed.data].map((row) => row.text);
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('has both labels in both files', () => {
    for (const file of [train, validation]) {
      expect(new Set(file.parsed.data.map((row) => row.label))).toEqual(new Set(['ham', 'spam']));
    }
  });
});
