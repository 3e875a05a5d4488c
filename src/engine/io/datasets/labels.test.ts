import { describe, expect, it } from 'vitest';
import { guessColumns } from './columns';
import { buildExamples, compareLabels, MAX_TEXT_CHARS } from './labels';
import { parseDatasetText } from './parse';
import { labelBalance, preview } from './summary';
import { expectBadInput, MNLI_TSV, SST2_TSV } from '../../../../test/dataset-samples';

const csv = (lines: string[]) => parseDatasetText(lines.join('\n') + '\n', 'data.csv');

describe('buildExamples', () => {
  it('SST-2: numeric labels keep their values as ids', () => {
    const table = parseDatasetText(SST2_TSV, 'train.tsv');
    const built = buildExamples(table, guessColumns(table));
    expect(built.id2label).toEqual(['0', '1']);
    expect(built.labelCounts).toEqual([2, 2]);
    expect(built.examples[0]).toEqual({ text: 'hide new secretions from the parental units ', label: 0 });
    expect(built.skipped).toEqual([]);
    expect(built.clipped).toEqual([]);
  });

  it('MNLI: pairs and string labels in alphabetical order', () => {
    const table = parseDatasetText(MNLI_TSV, 'dev.tsv');
    const built = buildExamples(table, guessColumns(table));
    expect(built.id2label).toEqual(['contradiction', 'entailment', 'neutral']);
    expect(built.examples[0]).toEqual({ text: 'The new rights are nice enough', textPair: 'Everyone really likes the newest benefits ', label: 2 });
  });

  it('natural label order: numbers by value, then strings case-insensitively', () => {
    expect(['10', '2', '-1', '1.5'].sort(compareLabels)).toEqual(['-1', '1.5', '2', '10']);
    expect(['b', 'B', 'a', '3'].sort(compareLabels)).toEqual(['3', 'a', 'B', 'b']);
    const table = csv(['text,label', 'a,10', 'b,2', 'c, 2', 'd,10']);
    const built = buildExamples(table, { text: 'text', label: 'label' });
    expect(built.id2label).toEqual(['2', '10']);
    expect(built.examples.map((e) => e.label)).toEqual([1, 0, 0, 1]);
  });

  it('JSON numbers, strings and booleans as labels', () => {
    const numbers = parseDatasetText('[{"t": "a", "y": 1}, {"t": "b", "y": "1"}, {"t": "c", "y": 0}]', 'x.json');
    expect(buildExamples(numbers, { text: 't', label: 'y' }).labelCounts).toEqual([1, 2]);
    const booleans = parseDatasetText('{"t": "a", "y": true}\n{"t": "b", "y": false}\n', 'x.jsonl');
    expect(buildExamples(booleans, { text: 't', label: 'y' }).id2label).toEqual(['false', 'true']);
  });

  it("maps labels to the model's id2label by name, or integer labels to its ids", () => {
    const table = csv(['text,label', 'a,positive', 'b,negative', 'c,positive']);
    const byName = buildExamples(table, { text: 'text', label: 'label' }, { labelNames: ['negative', 'positive', 'neutral'] });
    expect(byName.id2label).toEqual(['negative', 'positive', 'neutral']);
    expect(byName.examples.map((e) => e.label)).toEqual([1, 0, 1]);
    expect(byName.labelCounts).toEqual([1, 2, 0]);
    const integers = buildExamples(csv(['text,label', 'a,1', 'b,0']), { text: 'text', label: 'label' }, { labelNames: ['LABEL_0', 'LABEL_1'] });
    expect(integers.examples.map((e) => e.label)).toEqual([1, 0]);
  });

  it("a label the model does not know names the line and the model's labels", () => {
    const table = csv(['text,label', 'a,positive', 'b,negative', 'c,Neutral']);
    expectBadInput(
      () => buildExamples(table, { text: 'text', label: 'label' }, { labelNames: ['negative', 'neutral', 'positive'] }),
      'data.csv',
      'line 4',
      /has the label "Neutral", which is not one of the model's labels \("negative", "neutral", "positive"\); did you mean "neutral"\?; relabel the data/,
    );
    expectBadInput(() => buildExamples(csv(['text,label', 'a,0', 'b,2']), { text: 'text', label: 'label' }, { labelNames: ['n', 'p'] }), 'data.csv', 'line 2', /has the label "0"/);
  });

  it('skips blank texts and reports them', () => {
    const table = csv(['text,label', 'a,1', '  ,0', 'b,0', ',1', 'c,1']);
    const built = buildExamples(table, { text: 'text', label: 'label' });
    expect(built.examples).toHaveLength(3);
    expect(built.skipped).toEqual([
      { line: 3, why: 'blank text in column "text"' },
      { line: 5, why: 'blank text in column "text"' },
    ]);
  });

  it('more than half blank: the wrong column, most likely', () => {
    const table = csv(['text,note,label', 'a,,1', 'b,,0', 'c,x,1']);
    expectBadInput(() => buildExamples(table, { text: 'note', label: 'label' }), 'data.csv', 'column "note"', /2 of 3 rows have a blank text; is "note" the right column\? The columns are "text", "note", "label"/);
  });

  it('a blank text pair skips the row too', () => {
    const table = parseDatasetText('s1\ts2\tlabel\na\tb\t1\nc\t \t0\nd\te\t0\nf\tg\t1\n', 'x.tsv');
    const built = buildExamples(table, { text: 's1', textPair: 's2', label: 'label' });
    expect(built.skipped).toEqual([{ line: 3, why: 'blank text in column "s2"' }]);
    expect(built.examples).toHaveLength(3);
  });

  it('a missing label names its line', () => {
    expectBadInput(() => buildExamples(csv(['text,label', 'a,1', 'b,0', 'c,']), { text: 'text', label: 'label' }), 'data.csv', 'line 4', /has no label in column "label"; fill it in or delete the row/);
    const json = parseDatasetText('{"text": "a", "label": 1}\n{"text": "b"}\n', 'x.jsonl');
    expectBadInput(() => buildExamples(json, { text: 'text', label: 'label' }), 'x.jsonl', 'line 2', /has no label/);
  });

  it('one class', () => {
    expectBadInput(() => buildExamples(csv(['text,label', 'a,pos', 'b,pos']), { text: 'text', label: 'label' }), 'data.csv', 'column "label"', /has only one class \("pos" on all 2 rows\); a classifier needs at least 2 classes/);
    expectBadInput(() => buildExamples(csv(['text,label', 'a,-1', 'b,-1']), { text: 'text', label: 'label' }), 'data.csv', 'column "label"', /a test split exported without labels has -1 on every row/);
  });

  it('more than 100 classes', () => {
    const table = csv(['id,text', ...Array.from({ length: 101 }, (_, i) => `${i},text ${i}`)]);
    expectBadInput(() => buildExamples(table, { text: 'text', label: 'id' }), 'data.csv', 'column "id"', /has 101 distinct values \("0", "1", "2", …\), more than the 100 classes allowed; it looks like a text or id column: choose another label column/);
  });

  it('an enormous text is kept, clipped, and reported', () => {
    const long = 'x'.repeat(MAX_TEXT_CHARS + 5);
    const built = buildExamples(csv(['text,label', 'short,0', `${long},1`]), { text: 'text', label: 'label' });
    expect(built.examples[1].text).toHaveLength(MAX_TEXT_CHARS);
    expect(built.clipped).toEqual([{ line: 3, chars: MAX_TEXT_CHARS + 5 }]);
    const emoji = '😀'.repeat(MAX_TEXT_CHARS);
    const clippedEmoji = buildExamples(csv(['text,label', `${emoji},0`, 'b,1']), { text: 'text', label: 'label' }).examples[0].text;
    expect(clippedEmoji.length).toBe(MAX_TEXT_CHARS); // never half a surrogate pair
    expect(clippedEmoji.endsWith('😀')).toBe(true);
  });

  it('missing or misnamed columns', () => {
    const table = csv(['sentence,label', 'a,1', 'b,0']);
    expectBadInput(() => buildExamples(table, { text: 'text', label: 'label' }), 'data.csv', 'column "text"', /there is no column "text" for the text; the columns are "sentence", "label"/);
    expectBadInput(() => buildExamples(table, { text: 'sentence', label: 'lable' }), 'data.csv', 'column "lable"', /for the label; .*did you mean "label"\?/);
    expectBadInput(() => buildExamples(table, { text: 'sentence', textPair: 'sentence2', label: 'label' }), 'data.csv', 'column "sentence2"', /for the text pair/);
  });

  it('the same column twice', () => {
    const table = csv(['text,label', 'a,1', 'b,0']);
    expectBadInput(() => buildExamples(table, { text: 'text', label: 'text' }), 'data.csv', 'column "text"', /chosen as both a text and the label/);
    expectBadInput(() => buildExamples(table, { text: 'text', textPair: 'text', label: 'label' }), 'data.csv', 'column "text"', /both the text and the text pair/);
  });

  it('JSON objects in a text or label column', () => {
    const table = parseDatasetText('{"text": "a", "label": 1}\n{"text": {"body": "b"}, "label": 0}\n', 'x.jsonl');
    expectBadInput(() => buildExamples(table, { text: 'text', label: 'label' }), 'x.jsonl', 'line 2', /column "text" holds JSON objects or arrays, not text; choose another column, or flatten the file/);
  });
});

describe('preview and labelBalance', () => {
  it('preview: the first rows with their lines', () => {
    const table = parseDatasetText(SST2_TSV, 'train.tsv');
    const shown = preview(table, 2);
    expect(shown).toMatchObject({ file: 'train.tsv', format: 'tsv', columns: ['sentence', 'label'], totalRows: 4 });
    expect(shown.rows).toEqual([
      { line: 2, values: { sentence: 'hide new secretions from the parental units ', label: '0' } },
      { line: 3, values: { sentence: 'contains no wit , only labored gags ', label: '0' } },
    ]);
    expect(preview(table).rows).toHaveLength(4);
  });

  it('labelBalance: counts, fractions and the majority rate', () => {
    const balance = labelBalance([{ label: 0 }, { label: 1 }, { label: 1 }, { label: 1 }], ['ham', 'spam', 'other']);
    expect(balance).toEqual({
      total: 4,
      classes: [
        { id: 0, label: 'ham', count: 1, fraction: 0.25 },
        { id: 1, label: 'spam', count: 3, fraction: 0.75 },
        { id: 2, label: 'other', count: 0, fraction: 0 },
      ],
      majorityFraction: 0.75,
    });
  });
});
