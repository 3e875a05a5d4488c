import { useEffect, useMemo } from 'react';
import { useApp } from '../store';
import { Problem } from '../Problem';
import { formatCount, formatMillions, formatPercent } from '../format';
import { useSetup } from '../state/setup';
import { useResults } from '../state/results';
import type { RunDetails, RunSummary } from '../../workers/protocol';
import { RunsChart, type ChartSeries } from './RunsChart';
import { latestMetrics, methodOf } from './run-figures';

/** Saved runs side by side: tick runs, see their loss curves on one chart and their figures in one table. */
export function CompareRuns() {
  const clientReady = useApp((s) => s.client !== null);
  const runs = useSetup((s) => s.runs);
  const refreshRuns = useSetup((s) => s.refreshRuns);
  const selected = useResults((s) => s.selected);
  const details = useResults((s) => s.details);
  const toggleRun = useResults((s) => s.toggleRun);

  // The setup screen reads the list too; read it here only when nobody has yet.
  useEffect(() => {
    if (clientReady && useSetup.getState().runs.status === 'idle') void refreshRuns();
  }, [clientReady, refreshRuns]);

  const list = runs.status === 'done' ? runs.value : [];
  const shown = useMemo(() => {
    const out: { summary: RunSummary; details: RunDetails }[] = [];
    for (const id of selected) {
      const summary = list.find((r) => r.id === id);
      const task = details[id];
      if (summary && task?.status === 'done') out.push({ summary, details: task.value });
    }
    return out;
  }, [selected, details, list]);
  const series = useMemo<ChartSeries[]>(
    () => shown.map(({ details: d }) => ({ label: d.name, points: d.loss.map((p) => ({ x: p.step, y: p.taskLoss ?? p.loss })) })),
    [shown],
  );
  const failed = selected.map((id) => details[id]).find((t) => t?.status === 'failed');
  const loading = selected.some((id) => details[id]?.status === 'running');

  return (
    <div className="compare-runs" data-testid="compare-runs" data-tour="compare-runs" data-runs={shown.length}>
      <h3>Runs side by side</h3>
      {runs.status === 'running' && <p className="muted">Reading this browser’s storage…</p>}
      {runs.status === 'failed' && <Problem error={runs.error} testId="compare-runs-problem" />}
      {runs.status === 'done' && list.length === 0 && <p className="muted">No saved runs yet: train one (for example the LoRA baseline, then Light-PEFT) to compare them here.</p>}
      {list.length > 0 && (
        <fieldset className="compare-pick">
          <legend className="small muted">Runs to compare</legend>
          {list.map((run) => (
            <label key={run.id} className="compare-option">
              <input type="checkbox" checked={selected.includes(run.id)} onChange={() => void toggleRun(run.id)} data-testid="compare-run" data-run-id={run.id} />{' '}
              {run.name} <span className="muted small">({methodOf(run.settings)}, {run.status})</span>
            </label>
          ))}
        </fieldset>
      )}
      {loading && <p className="muted small">Reading the runs’ curves…</p>}
      {failed?.status === 'failed' && <Problem error={failed.error} testId="compare-problem" />}
      {shown.length > 0 && (
        <>
          <RunsChart series={series} xLabel="Step" yLabel="Training loss (task)" />
          <div className="table-scroll">
            <table className="results-table" data-testid="compare-table">
              <caption className="visually-hidden">Figures of the runs compared</caption>
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Method</th>
                  <th scope="col" className="num">
                    Steps
                  </th>
                  <th scope="col" className="num">
                    Accuracy
                  </th>
                  <th scope="col" className="num">
                    Macro-F1
                  </th>
                  <th scope="col" className="num">
                    MCC
                  </th>
                  <th scope="col" className="num">
                    Base params
                  </th>
                  <th scope="col" className="num">
                    Trainable params
                  </th>
                  <th scope="col">Pruned</th>
                </tr>
              </thead>
              <tbody>
                {shown.map(({ summary, details: d }) => {
                  const latest = latestMetrics(d);
                  const m = latest?.metrics;
                  return (
                    <tr key={d.id} data-testid="compare-row" data-run-id={d.id} data-pruned={d.pruned !== null}>
                      <th scope="row">{d.name}</th>
                      <td>{methodOf(d.settings)}</td>
                      <td className="num">
                        {formatCount(summary.step)}
                        {summary.totalSteps !== null && <span className="muted"> / {formatCount(summary.totalSteps)}</span>}
                      </td>
                      <td className="num" title={latest?.step != null ? `at step ${latest.step} (the run did not finish)` : undefined}>
                        {m ? formatPercent(m.accuracy) : '—'}
                        {latest?.step != null && <span className="muted">*</span>}
                      </td>
                      <td className="num">{m ? m.macroF1.toFixed(3) : '—'}</td>
                      <td className="num">{m?.mcc != null ? m.mcc.toFixed(3) : '—'}</td>
                      <td className="num">{d.pruned ? formatMillions(d.pruned.after.baseParams) : '—'}</td>
                      <td className="num">{d.pruned ? formatMillions(d.pruned.after.trainableParams) : '—'}</td>
                      <td>{d.pruned ? `yes (step ${formatCount(d.pruned.step)})` : 'no'}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <p className="muted small">
            Parameters are shown for pruned runs (after pruning).
            {shown.some(({ details: d }) => latestMetrics(d)?.step != null) && ' * the last validation evaluation of a run that did not finish.'}
          </p>
        </>
      )}
    </div>
  );
}
