import { useId, useState } from 'react';
import { Problem } from '../Problem';
import { formatPercent } from '../format';
import { useSetup } from '../state/setup';
import { isTraining, useTrain } from '../state/train';
import { useResults } from '../state/results';
import type { ClassProbability } from '../../workers/protocol';

/** "Try it": classify a typed text with the loaded model as trained (pruned, if it was), with each class's probability. */
export function TryIt() {
  const model = useSetup((s) => s.model);
  const pairColumn = useSetup((s) => s.examples?.settings.columns.textPair ?? null);
  const training = useTrain((s) => isTraining(s.status));
  const classified = useResults((s) => s.classified);
  const classify = useResults((s) => s.classify);
  const [text, setText] = useState('');
  const [pair, setPair] = useState('');
  const textId = useId();
  const pairId = useId();
  const running = classified.status === 'running';
  const canRun = model !== null && text.trim() !== '' && !running;

  return (
    <div className="try-it" data-testid="try-it" data-tour="try-it">
      <h3>Try it</h3>
      <p className="muted small">
        Classifies a text with the loaded model as trained{model ? '' : ' (load a model first)'} — the pruned one after a Light-PEFT prune.
        {training && ' A run is training now: the text is classified between two of its steps, with the weights as they are then.'}
      </p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (canRun) void classify(text, pairColumn ? pair : undefined);
        }}
      >
        <label htmlFor={textId}>Text to classify</label>
        <textarea id={textId} rows={3} value={text} onChange={(e) => setText(e.target.value)} data-testid="try-it-text" />
        {pairColumn && (
          <>
            <label htmlFor={pairId}>
              Second text <span className="muted small">(the “{pairColumn}” column)</span>
            </label>
            <textarea id={pairId} rows={2} value={pair} onChange={(e) => setPair(e.target.value)} data-testid="try-it-pair" />
          </>
        )}
        <div className="row">
          <button type="submit" disabled={!canRun} data-testid="try-it-run">
            {running ? 'Classifying…' : 'Classify'}
          </button>
        </div>
      </form>
      {classified.status === 'failed' && <Problem error={classified.error} testId="try-it-problem" />}
      {classified.status === 'done' && <ClassProbabilities probabilities={classified.value} />}
    </div>
  );
}

/** One row per class in the order given (the store sorts them, most likely first): label, a bar, the percent. */
export function ClassProbabilities({ probabilities }: { probabilities: ClassProbability[] }) {
  return (
    <ol
      className="try-it-result"
      data-testid="try-it-result"
      data-probabilities={JSON.stringify(probabilities.map((c) => [c.label, c.probability]))}
      aria-label="Class probabilities, most likely first"
    >
      {probabilities.map((c) => (
        <li key={c.label}>
          <span className="try-it-label">{c.label}</span>
          <span className="try-it-bar" aria-hidden>
            <span style={{ width: `${(c.probability * 100).toFixed(1)}%` }} />
          </span>
          <span className="num">{formatPercent(c.probability)}</span>
        </li>
      ))}
    </ol>
  );
}
