import { useEffect, useState } from 'react';
import type { DataTables } from '../../workers/protocol';
import { DEFAULT_SPLIT, useSetup } from '../state/setup';
import { isTraining, useTrain } from '../state/train';

interface Draft {
  text: string;
  textPair: string;
  label: string;
  percent: string;
  seed: string;
}

/** Which column is the text, the optional text pair and the label; the held-out share and its seed. */
export function ColumnForm({ tables }: { tables: DataTables }) {
  const examples = useSetup((s) => s.examples);
  const choosing = useSetup((s) => s.columnsRunning);
  const training = useTrain((s) => isTraining(s.status));
  const running = choosing || training;
  const chooseColumns = useSetup((s) => s.chooseColumns);
  const hasValidationFile = tables.files.some((f) => f.role === 'validation');
  const { guess } = tables;

  const initial = (): Draft => {
    const settings = examples?.settings;
    return {
      text: settings?.columns.text ?? guess.text,
      textPair: (settings ? settings.columns.textPair : guess.textPair) ?? '',
      label: settings?.columns.label ?? guess.label,
      percent: String(Math.round((settings?.validationFraction ?? DEFAULT_SPLIT.validationFraction) * 1000) / 10),
      seed: String(settings?.seed ?? DEFAULT_SPLIT.seed),
    };
  };
  const [draft, setDraft] = useState(initial);
  // A new file: start from its guesses.
  useEffect(() => setDraft(initial()), [tables]); // eslint-disable-line react-hooks/exhaustive-deps

  const apply = (next: Draft) => {
    if (training) return; // the run uses these columns; the fields are disabled meanwhile
    setDraft(next);
    void chooseColumns({
      columns: { text: next.text, textPair: next.textPair || null, label: next.label },
      validationFraction: Number(next.percent) / 100,
      seed: Number(next.seed),
    });
  };
  /** Numbers apply when the field is left, if they changed. */
  const applyIfChanged = () => {
    const settings = examples?.settings;
    if (!settings || Number(draft.percent) / 100 !== settings.validationFraction || Number(draft.seed) !== settings.seed) apply(draft);
  };
  const hint = (column: keyof typeof guess.reasons, value: string) =>
    (guess[column] ?? '') === value ? <span className="hint">Guessed: {guess.reasons[column]}</span> : null;

  const select = (key: 'text' | 'textPair' | 'label', label: string, optional: boolean) => (
    <div className="field">
      <label htmlFor={`column-${key}`}>{label}</label>
      <select
        id={`column-${key}`}
        value={draft[key]}
        disabled={running}
        onChange={(event) => apply({ ...draft, [key]: event.target.value })}
        data-testid={`column-${key}`}
      >
        {optional && <option value="">— none (single texts) —</option>}
        {tables.columns.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
      {hint(key, draft[key])}
    </div>
  );

  return (
    <form
      className="columns"
      aria-label="Columns and validation split"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        apply(draft);
      }}
    >
      {select('text', 'Text column', false)}
      {select('textPair', 'Second text (pairs)', true)}
      {select('label', 'Label column', false)}
      {!hasValidationFile && (
        <div className="field">
          <span className="field-label" id="split-label">
            Validation split
          </span>
          <div className="row tight" role="group" aria-labelledby="split-label">
            <label>
              hold out{' '}
              <input
                type="number"
                min={1}
                max={50}
                step={1}
                value={draft.percent}
                className="narrow"
                disabled={running}
                aria-label="Percent of the training file held out for validation"
                onChange={(event) => setDraft({ ...draft, percent: event.target.value })}
                onBlur={applyIfChanged}
                data-testid="split-percent"
              />{' '}
              %
            </label>
            <label>
              seed{' '}
              <input
                type="number"
                step={1}
                value={draft.seed}
                className="narrow"
                disabled={running}
                aria-label="Seed of the validation split"
                onChange={(event) => setDraft({ ...draft, seed: event.target.value })}
                onBlur={applyIfChanged}
                data-testid="split-seed"
              />
            </label>
          </div>
          <span className="hint">Stratified by label; the same seed gives the same split.</span>
        </div>
      )}
      <button type="submit" className="visually-hidden" tabIndex={-1}>
        Apply
      </button>
    </form>
  );
}
