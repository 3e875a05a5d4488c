import type { ReactNode } from 'react';
import type { ModelMeasure, PruneOutcome } from '../../workers/protocol';
import { formatBytes, formatCount, formatMillions, formatMs, formatPercent } from '../format';
import { describePerLayer, relativeChange, removedFfnCounts, removedHeads, removedRanks } from './prune-summary';

const AT_THE_END = 'measured at the end of the run';
const WHILE_TRAINING = 'measured while the pruned model trains';

interface Row {
  what: string;
  before: ReactNode;
  after: ReactNode;
  change: ReactNode;
  /** Per-layer lists: may wrap inside the cell instead of widening the table. */
  wraps?: boolean;
}

/** Before and after pruning, as measured in the app, and what the plan removed. */
export function PruneResults({ pruned }: { pruned: PruneOutcome }) {
  const { before, after, plan } = pruned;
  const heads = removedHeads(plan, before.shape.heads);
  const ffn = removedFfnCounts(plan, before.shape.ffn);
  const ranks = removedRanks(plan);
  return (
    <div className="prune-results" data-testid="prune-results" data-tour="prune-results" data-pruned-heads={JSON.stringify(heads)} data-pruned-ffn={JSON.stringify(ffn)}>
      <h3>Before and after pruning</h3>
      <p className="muted small">
        Pruned after step {formatCount(pruned.step)} {pruned.trigger === 'now' ? 'when you pressed Prune now' : 'at the end of the estimation budget'}. Both
        sides were measured here, in this browser, on the validation set and one training batch.
      </p>
      <div className="table-scroll">
        <table className="results-table">
          <caption className="visually-hidden">The model before and after pruning</caption>
          <thead>
            <tr>
              <th scope="col">Measure</th>
              <th scope="col" className="num">
                Before
              </th>
              <th scope="col" className="num">
                After
              </th>
              <th scope="col" className="num">
                Change
              </th>
            </tr>
          </thead>
          <tbody>
            {rowsOf(before, after).map((row) => (
              <tr key={row.what}>
                <th scope="row">{row.what}</th>
                <td className={row.wraps ? 'num per-layer' : 'num'}>{row.before}</td>
                <td className={row.wraps ? 'num per-layer' : 'num'}>{row.after}</td>
                <td className="num">{row.change}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <details className="removed" data-testid="prune-removed">
        <summary>What was removed</summary>
        <dl className="facts small">
          <dt>Attention heads</dt>
          <dd data-testid="removed-heads">
            {heads.length === 0
              ? 'none'
              : `${formatCount(heads.length)} of ${formatCount(sum(before.shape.heads))}: ` +
                before.shape.heads
                  .map((_, layer) => ({ layer, list: heads.filter(([l]) => l === layer).map(([, h]) => h) }))
                  .filter((l) => l.list.length > 0)
                  .map((l) => `layer ${l.layer}: ${l.list.join(', ')}`)
                  .join('; ')}
          </dd>
          <dt>FFN dimensions</dt>
          <dd data-testid="removed-ffn">
            {sum(ffn) === 0 ? 'none' : `${formatCount(sum(ffn))} of ${formatCount(sum(before.shape.ffn))}; by layer: ${ffn.join(' · ')}`}
          </dd>
          <dt>PEFT modules dropped</dt>
          <dd data-testid="removed-modules">
            {plan.removedModules.length === 0 ? (
              'none'
            ) : (
              <ul className="plain-list">
                {plan.removedModules.map((m) => (
                  <li key={m}>
                    <code>{m}</code>
                  </li>
                ))}
              </ul>
            )}
          </dd>
          <dt>Ranks removed</dt>
          <dd data-testid="removed-ranks">
            {ranks.length === 0 ? (
              'none'
            ) : (
              <ul className="plain-list">
                {ranks.map((r) => (
                  <li key={r.module}>
                    <code>{r.module}</code>: {r.removed} removed, {r.kept} kept
                  </li>
                ))}
              </ul>
            )}
          </dd>
        </dl>
      </details>
    </div>
  );
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Percentage points between two fractions ("+1.2 pp"). */
function points(before: number, after: number): string {
  const d = (after - before) * 100;
  return `${d > 0 ? '+' : d < 0 ? '−' : '±'}${Math.abs(d).toFixed(1)} pp`;
}

function signedCount(n: number, unit: string): string {
  return `${n > 0 ? '+' : n < 0 ? '−' : '±'}${formatCount(Math.abs(n))} ${unit}`;
}

function seconds(s: number): string {
  return formatMs(s * 1000);
}

function rowsOf(before: ModelMeasure, after: ModelMeasure): Row[] {
  const pending = (text: string) => <span className="muted small">{text}</span>;
  const metric = (key: 'accuracy' | 'macroF1', show: (v: number) => string, diff: (a: number, b: number) => string): Row => ({
    what: key === 'accuracy' ? 'Validation accuracy' : 'Macro-F1',
    before: before.metrics ? show(before.metrics[key]) : '—',
    after: after.metrics ? show(after.metrics[key]) : pending(AT_THE_END),
    change: before.metrics && after.metrics ? diff(before.metrics[key], after.metrics[key]) : '—',
  });
  const stepBefore = before.trainStepSeconds;
  const stepAfter = after.trainStepSeconds;
  return [
    metric('accuracy', (v) => formatPercent(v), points),
    metric('macroF1', (v) => v.toFixed(3), (a, b) => `${b - a >= 0 ? '+' : '−'}${Math.abs(b - a).toFixed(3)}`),
    {
      what: 'Train-step time',
      before: stepBefore !== null ? seconds(stepBefore) : '—',
      after: stepAfter !== null ? seconds(stepAfter) : pending(WHILE_TRAINING),
      change: stepBefore !== null && stepAfter !== null ? relativeChange(stepBefore, stepAfter) : '—',
    },
    {
      what: 'Inference time (one batch)',
      before: seconds(before.inferenceSeconds),
      after: seconds(after.inferenceSeconds),
      change: relativeChange(before.inferenceSeconds, after.inferenceSeconds),
    },
    { what: 'GPU memory', before: formatBytes(before.gpuBytes), after: formatBytes(after.gpuBytes), change: relativeChange(before.gpuBytes, after.gpuBytes) },
    {
      what: 'Base parameters',
      before: formatMillions(before.baseParams),
      after: formatMillions(after.baseParams),
      change: relativeChange(before.baseParams, after.baseParams),
    },
    {
      what: 'Trainable parameters',
      before: formatMillions(before.trainableParams),
      after: formatMillions(after.trainableParams),
      change: relativeChange(before.trainableParams, after.trainableParams),
    },
    {
      what: 'Heads per layer',
      before: describePerLayer(before.shape.heads),
      after: describePerLayer(after.shape.heads),
      change: signedCount(sum(after.shape.heads) - sum(before.shape.heads), 'heads'),
      wraps: true,
    },
    {
      what: 'FFN width per layer',
      before: describePerLayer(before.shape.ffn),
      after: describePerLayer(after.shape.ffn),
      change: relativeChange(sum(before.shape.ffn), sum(after.shape.ffn)),
      wraps: true,
    },
  ];
}
