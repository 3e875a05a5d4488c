import { Problem } from '../Problem';
import { formatBytes } from '../format';
import { useApp } from '../store';
import { isTraining, useTrain } from '../state/train';
import { useResults } from '../state/results';

/** Downloads the last run as the CLI writes it, as one zip. */
export function ExportRun() {
  const clientReady = useApp((s) => s.client !== null);
  const training = useTrain((s) => isTraining(s.status));
  const exported = useResults((s) => s.exported);
  const exportRun = useResults((s) => s.exportRun);
  return (
    <div className="export-run" data-tour="export-run">
      <h3>Export the run</h3>
      <p className="muted small">
        One zip of the last run, laid out as the CLI writes it: <code>adapter/</code> (Hugging Face PEFT format), <code>report.json</code>,{' '}
        <code>curves.csv</code>, <code>evaluations.csv</code>, and for a pruned run <code>pruned-model/</code> (the pruned weights with{' '}
        <code>pruning.json</code> and the tokenizer) and <code>scores.safetensors</code> (the masks and scores the plan was made from).
      </p>
      <div className="row">
        <button type="button" disabled={!clientReady || training || exported.status === 'running'} onClick={() => void exportRun()} data-testid="export-run">
          {exported.status === 'running' ? 'Preparing…' : 'Download the run (.zip)'}
        </button>
        {training && <span className="muted small">Available when training ends.</span>}
      </div>
      {exported.status === 'done' && (
        <p className="muted small" data-testid="export-run-done">
          Saved <code>{exported.value.fileName}</code> ({formatBytes(exported.value.bytes)}) to your downloads.
        </p>
      )}
      {exported.status === 'failed' && <Problem error={exported.error} testId="export-run-problem" />}
    </div>
  );
}
