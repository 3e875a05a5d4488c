import { useEffect } from 'react';
import { useApp } from '../store';
import { Problem } from '../Problem';
import { formatBytes, formatDate } from '../format';
import { useSetup } from './store';

/** Step 3: files out (the adapter as an HF PEFT zip) and the runs saved in this browser. */
export function ExportPanel() {
  const model = useSetup((s) => s.model);
  const modelLoading = useSetup((s) => s.modelLoading);
  const exported = useSetup((s) => s.exported);
  const exportAdapter = useSetup((s) => s.exportAdapter);
  return (
    <section className="panel" aria-labelledby="export-heading" data-testid="export-panel">
      <h2 id="export-heading">
        <span className="step">3</span> Results out
      </h2>
      <h3>Adapter</h3>
      <p className="muted">
        The PEFT adapter of the loaded model in Hugging Face PEFT format — <code>adapter_config.json</code> and{' '}
        <code>adapter_model.safetensors</code>, with the classification head as <code>modules_to_save</code> — ready for{' '}
        <code>PeftModel.from_pretrained</code> in Python.
        {model && ' It is untrained until you train it.'}
      </p>
      <button
        type="button"
        disabled={!model || modelLoading !== null || exported.status === 'running'}
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
  const remove = useSetup((s) => s.deleteRun);
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
        <table className="runs">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Step
              </th>
              <th scope="col">Last saved</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.value.map((run) => (
              <tr key={run.id}>
                <td>{run.name}</td>
                <td>{run.status}</td>
                <td className="num">{run.step}</td>
                <td>{formatDate(run.updatedAt)}</td>
                <td>
                  <button
                    type="button"
                    className="danger small"
                    onClick={() => {
                      if (confirm(`Delete the run “${run.name}” and its checkpoint? This cannot be undone.`)) void remove(run.id);
                    }}
                    aria-label={`Delete run ${run.name}`}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
