import { describe, expect, it } from 'vitest';
import { closestName, guessColumns, requireColumn } from './columns';
import { parseDatasetText } from './parse';
import { expectBadInput, JSONL, MNLI_TSV, SST2_TSV } from '../../../../test/dataset-samples';

describe('guessColumns', () => {
  it('SST-2: sentence + label by name', () => {
    const guess = guessColumns(parseDatasetText(SST2_TSV, 'train.tsv'));
    expect(guess).toMatchObject({ text: 'sentence', textPair: null, label: 'label' });
    expect(guess.reasons.text).toBe('"sentence" is a usual name for the text column');
    expect(guess.reasons.textPair).toMatch(/no second text column/);
    expect(guess.reasons.label).toBe('"label" is a usual name for the label column');
  });

  it('MNLI: the sentence pair, and gold_label rather than label1', () => {
    const guess = guessColumns(parseDatasetText(MNLI_TSV, 'dev.tsv'));
    expect(guess).toMatchObject({ text: 'sentence1', textPair: 'sentence2', label: 'gold_label' });
    expect(guess.reasons.textPair).toBe('"sentence1" and "sentence2" are the usual names of a text pair');
  });

  it('other GLUE layouts: QNLI, QQP, MRPC', () => {
    const qnli = parseDatasetText('index\tquestion\tsentence\tlabel\n0\tWhat?\tThis.\tentailment\n1\tWho?\tHim.\tnot_entailment\n', 'qnli.tsv');
    expect(guessColumns(qnli)).toMatchObject({ text: 'question', textPair: 'sentence', label: 'label' });
    const qqp = parseDatasetText('id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n1\t2\t3\tA?\tB?\t0\n2\t4\t5\tC?\tD?\t1\n', 'qqp.tsv');
    expect(guessColumns(qqp)).toMatchObject({ text: 'question1', textPair: 'question2', label: 'is_duplicate' });
    const mrpc = parseDatasetText('Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1\t2\tA b.\tA c.\n0\t3\t4\tX.\tY.\n', 'mrpc.tsv');
    expect(guessColumns(mrpc)).toMatchObject({ text: '#1 String', textPair: '#2 String', label: 'Quality' });
  });

  it('names in other cases and spellings', () => {
    const table = parseDatasetText('Review Text,Sentiment\ngreat,positive\nbad,negative\n', 'x.csv');
    expect(guessColumns(table)).toMatchObject({ text: 'Review Text', label: 'Sentiment' });
  });

  it('SpamAssassin JSON {id, group, checksum, text}: label by few distinct values', () => {
    const rows = Array.from({ length: 6 }, (_, i) => ({ id: `m${i}`, group: i % 3 ? 'ham' : 'spam', checksum: `c${i}`, text: `Subject: message ${i}` }));
    const guess = guessColumns(parseDatasetText(JSON.stringify(rows), 'spam.json'));
    expect(guess).toMatchObject({ text: 'text', textPair: null, label: 'group' });
    expect(guess.reasons.label).toBe('"group" has few distinct values (2 in the first 6 rows)');
  });

  it('no usual names: the longest text and the column with fewest distinct values', () => {
    const csv = 'id,body_of_mail,verdict,score\n1,a long message here,yes,3\n2,another long message,no,4\n3,and one more long one,no,5\n4,short-ish text,yes,6\n';
    const guess = guessColumns(parseDatasetText(csv, 'x.csv'));
    expect(guess).toMatchObject({ text: 'body_of_mail', label: 'verdict' });
    expect(guess.reasons.text).toMatch(/^"body_of_mail" has the longest values \(\d+ characters on average\)$/);
  });

  it('nothing label-like: a guess that says so', () => {
    const guess = guessColumns(parseDatasetText('text,id\na,1\nb,2\nc,3\nd,4\n', 'x.csv'));
    expect(guess.label).toBe('id');
    expect(guess.reasons.label).toMatch(/no column looks like a label; "id" is only a guess — check it/);
  });

  it('skips JSON columns holding objects', () => {
    const table = parseDatasetText('{"meta": {"a": 1}, "text": "x", "label": 1, "label2": 0}\n{"meta": {}, "text": "y", "label": 0, "label2": 1}\n', 'x.jsonl');
    expect(guessColumns(table)).toMatchObject({ text: 'text', label: 'label' });
  });

  it('a single column is an error', () => {
    expectBadInput(() => guessColumns(parseDatasetText('text\nhello\n', 'one.csv')), 'one.csv', null, /has only one column \("text"\); a dataset needs a text column and a label column/);
  });

  it('works on JSONL with extra columns', () => {
    expect(guessColumns(parseDatasetText(JSONL, 'x.jsonl'))).toMatchObject({ text: 'text', label: 'label' });
  });
});

describe('requireColumn', () => {
  const table = parseDatasetText('sentence,label\na,1\n', 'x.csv');

  it('passes for an existing column', () => {
    expect(() => requireColumn(table, 'sentence', 'text')).not.toThrow();
  });

  it('lists the columns and suggests the closest name', () => {
    expectBadInput(() => requireColumn(table, 'sentense', 'text'), 'x.csv', 'column "sentense"', /there is no column "sentense" for the text; the columns are "sentence", "label"; did you mean "sentence"\?/);
    expectBadInput(() => requireColumn(table, 'Label', 'label'), 'x.csv', 'column "Label"', /did you mean "label"\?/);
    const error = expectBadInput(() => requireColumn(table, 'category', 'label'), 'x.csv', 'column "category"', /the columns are "sentence", "label"$/);
    expect(error.message).not.toMatch(/did you mean/);
  });

  it('says when the first line is data, not a header', () => {
    const headerless = parseDatasetText('gj04\t1\t\tThe sailors rode the breeze clear of the rocks.\ngj04\t0\t*\tThe more we study verbs.\n', 'cola.tsv');
    expectBadInput(() => requireColumn(headerless, 'sentence', 'text'), 'cola.tsv', 'column "sentence"', /does not look like a header: add a header line such as text,label/);
  });

  it('closestName', () => {
    expect(closestName('txt', ['text', 'label'])).toBe('text');
    expect(closestName('gold label', ['gold_label'])).toBe('gold_label');
    expect(closestName('zzzzzz', ['text', 'label'])).toBeNull();
  });
});
