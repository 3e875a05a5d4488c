import { useEffect } from 'react';
import { useApp } from '../store';
import { Problem } from '../Problem';
import { formatBytes, formatCount, formatDate, formatPercent } from '../format';
import { useSetup } from '../state/setup';
import { isTraining, useTrain } from '../state/train';
import type { RunSummary } from '../../workers/protocol';
import { DeleteRunButton } from '../DeleteRunButton';

/** Step 3: files out (the adapter as an HF PEFT zip) and the runs saved in this browser. */
export function ExportPanel() {
  const model = useSetup((s) => s.model);
  const modelLoading = useSetup((s) => s.modelLoading);
  const exported = useSetup((s) => s.exported);
  const exportAdapter = useSetup((s) => s.exportAdapter);
  const training = useTrain((s) => isTraining(s.status));
  const trained = useTrain((s) => s.status === 'done' && s.result !== null);
  return (
    <section className="panel" aria-labelledby="export-heading" data-testid="export-panel">
      <h2 id="export-heading">
        <span className="step">4</span> Results out
      </h2>
      <h3>Adapter</h3>
      <p className="muted">
        The PEFT adapter of the loaded model in Hugging Face PEFT format — <code>adapter_config.json</code> and{' '}
        <code>adapter_model.safetensors</code>, with the classification head as <code>modules_to_save</code> — ready for{' '}
        <code>PeftModel.from_pretrained</code> in Python.
        {model && (trained ? ' It holds the weights of the last training run.' : ' It is untrained until you train it.')}
      </p>
      <button
        type="button"
        disabled={!model || modelLoading !== null || exported.status === 'running' || training}
        onClick={() => void exportAdapter()}
        data-testid="export-adapter"
      >
        {exported.status === 'running' ? 'Preparing…' : 'Download the adapter (.zip)'}
      </button>
      {!model && <span className="muted small"> Load a model first.</span>}
      {exported.status === 'done' && (
        <p className="muted small" data-testid="export-done">
          Saved <code>{exported.value.fileName}</code> ({formatBytes(exported.value.bytes)}) to your downloads.
        </p>
      )}
      {exported.status === 'failed' && <Problem error={exported.error} testId="export-problem" />}
      <Runs />
    </section>
  );
}

function Runs() {
  const clientReady = useApp((s) => s.client !== null);
  const runs = useSetup((s) => s.runs);
  const refresh = useSetup((s) => s.refreshRuns);
  const resume = useTrain((s) => s.resume);
  const training = useTrain((s) => isTraining(s.status));
  useEffect(() => {
    if (clientReady) void refresh();
  }, [clientReady, refresh]);
  return (
    <div data-testid="runs" data-status={runs.status}>
      <h3>Saved runs</h3>
      {runs.status === 'running' && <p className="muted">Reading this browser’s storage…</p>}
      {runs.status === 'failed' && <Problem error={runs.error} testId="runs-problem" />}
      {runs.status === 'done' && runs.value.length === 0 && (
        <p className="muted" data-testid="runs-empty">
          No saved runs yet. Training saves its run here every few steps, so a reload or a crash resumes where it was.
        </p>
      )}
      {runs.status === 'done' && runs.value.length > 0 && (
        <div className="table-scroll">
          <table className="runs">
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Step
                </th>
                <th scope="col" className="num">
                  Last loss
                </th>
                <th scope="col">Last saved</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {runs.value.map((run) => (
                <tr key={run.id} data-testid="run-row" data-run-id={run.id} data-status={run.status} data-step={run.step} data-last-loss={run.lastLoss ?? ''}>
                  <td>
                    {run.name}
                    <RunNote run={run} />
                  </td>
                  <td>
                    <span className={`run-status ${run.status}`} title={STATUS_HELP[run.status]}>
                      {run.status}
                    </span>
                  </td>
                  <td className="num">
                    {formatCount(run.step)}
                    {run.totalSteps !== null && <span className="muted"> / {formatCount(run.totalSteps)}</span>}
                  </td>
                  <td className="num">{run.lastLoss !== null ? run.lastLoss.toFixed(4) : '—'}</td>
                  <td>{formatDate(run.updatedAt)}</td>
                  <td className="actions">
                    {run.resumable && (
                      <button type="button" className="small" disabled={training} onClick={() => void resume(run)} aria-label={`Resume run ${run.name}`} data-testid="run-resume">
                        Resume
                      </button>
                    )}
                    <DeleteRunButton run={run} disabled={run.status === 'running'} testId="run-delete" />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

const STATUS_HELP: Record<RunSummary['status'], string> = {
  running: 'training now',
  paused: 'stopped with Stop; resume it to go on',
  interrupted: 'the page was reloaded or closed while it trained; resume it from its last checkpoint',
  finished: 'trained to the end and evaluated',
  failed: 'stopped by an error; it can be resumed from its last checkpoint',
};

/** Metrics of a finished run, the error of a failed one, and what a resume needs loaded. */
function RunNote({ run }: { run: RunSummary }) {
  const origin = run.settings?.model.origin;
  const dataOrigin = run.settings?.data.origin;
  return (
    <>
      {run.metrics && (
        <span className="run-note muted small">
          accuracy {formatPercent(run.metrics.accuracy)} · macro-F1 {run.metrics.macroF1.toFixed(3)}
          {run.metrics.mcc !== null && ` · MCC ${run.metrics.mcc.toFixed(3)}`}
        </span>
      )}
      {run.error && run.status === 'failed' && <span className="run-note warn-text small">{run.error.message}</span>}
      {run.resumable && (origin?.kind === 'files' || dataOrigin?.kind === 'files') && (
        <span className="run-note muted small" data-testid="run-needs-files">
          To resume, first choose {origin?.kind === 'files' ? (origin.folderName ? `the model folder “${origin.folderName}”` : 'the model files') : ''}
          {origin?.kind === 'files' && dataOrigin?.kind === 'files' ? ' and ' : ''}
          {dataOrigin?.kind === 'files' ? `the data file “${dataOrigin.train}”${dataOrigin.validation ? ` with “${dataOrigin.validation}”` : ''}` : ''} again above.
        </span>
      )}
    </>
  );
}
