import { Problem } from '../Problem';
import { formatBytes, formatCount } from '../format';
import type { DataTables } from '../../workers/protocol';
import { useSetup } from '../state/setup';
import { DropZone } from './DropZone';
import { ProgressBar } from './ProgressBar';
import { ColumnForm } from './ColumnForm';
import { ExamplesSummary } from './ExamplesSummary';
import { PreviewTable } from './PreviewTable';
import { TokenizeCheck } from './TokenizeCheck';
import { splitDataFiles } from './pick-files';
import { demoDataUrl } from '../state/demo-urls';
import { isTraining, useTrain } from '../state/train';

const ACCEPT = '.csv,.tsv,.tab,.jsonl,.ndjson,.json,text/csv,text/tab-separated-values,application/json';

/** Step 2: the data, its columns, labels and split, and how it tokenizes. */
export function DataPanel() {
  const tables = useSetup((s) => s.tables);
  const examples = useSetup((s) => s.examples);
  const loading = useSetup((s) => s.dataLoading);
  const error = useSetup((s) => s.dataError);
  const columnsError = useSetup((s) => s.columnsError);
  const trainFile = useSetup((s) => s.trainFile);
  const loadData = useSetup((s) => s.loadData);
  const showError = useSetup((s) => s.showDataError);
  const training = useTrain((s) => isTraining(s.status));
  const busy = loading !== null || training;

  const loadFiles = (train: File, validation: File | null) => void loadData({ kind: 'files', train, validation }, 'Reading');
  const hasValidationFile = tables?.files.some((f) => f.role === 'validation') ?? false;

  return (
    <section className="panel" aria-labelledby="data-heading" data-testid="data-panel" data-status={loading ? 'loading' : examples ? 'ready' : tables ? 'columns' : 'empty'}>
      <h2 id="data-heading">
        <span className="step">2</span> Data
      </h2>
      <p className="muted">
        A table with a text column (and optionally a second text, for pairs) and a label column: CSV, TSV, JSONL or a JSON array.
        Give a validation file too, or a share of the training file is held out for validation.
      </p>

      <div className="sources two">
        <div className="source">
          <h3>Built-in demo data</h3>
          <p className="muted small">5,887 e-mails from the SpamAssassin public corpus, labelled ham or spam, with a validation file.</p>
          <button type="button" disabled={busy} onClick={() => void loadData({ kind: 'demo', url: demoDataUrl() }, 'Fetching the demo data')} data-testid="data-demo">
            Use the demo data
          </button>
        </div>
        <DropZone
          testId="data-drop"
          label="Drop a data file, or a training and a validation file, here"
          disabled={busy}
          onError={showError}
          onFiles={(picked) => {
            try {
              const { train, validation } = splitDataFiles(picked.map((p) => p.file));
              loadFiles(train, validation);
            } catch (error) {
              showError(error);
            }
          }}
        >
          <h3>Your data</h3>
          <p className="muted small">Drop one file, or a training and a validation file (named e.g. train.csv and validation.csv), or choose them.</p>
          <div className="row">
            <label className={`button${busy ? ' disabled' : ''}`}>
              Training file…
              <input
                type="file"
                accept={ACCEPT}
                className="visually-hidden"
                disabled={busy}
                data-testid="data-train-input"
                onChange={(event) => {
                  const file = event.currentTarget.files?.[0];
                  if (file) loadFiles(file, null);
                  event.currentTarget.value = '';
                }}
              />
            </label>
            <label className={`button secondary${busy || !trainFile ? ' disabled' : ''}`} title={trainFile ? undefined : 'Choose a training file first'}>
              {hasValidationFile && trainFile ? 'Other validation file…' : 'Validation file…'}
              <input
                type="file"
                accept={ACCEPT}
                className="visually-hidden"
                disabled={busy || !trainFile}
                data-testid="data-validation-input"
                onChange={(event) => {
                  const file = event.currentTarget.files?.[0];
                  if (file && trainFile) loadFiles(trainFile, file);
                  event.currentTarget.value = '';
                }}
              />
            </label>
            {hasValidationFile && trainFile && (
              <button type="button" className="link" disabled={busy} onClick={() => loadFiles(trainFile, null)}>
                Split the training file instead
              </button>
            )}
          </div>
        </DropZone>
      </div>

      {loading && <ProgressBar loading={loading} testId="data-progress" />}
      {error && <Problem error={error} testId="data-problem" />}
      {tables && (
        <div className="loaded" data-testid="data-loaded">
          <FileList tables={tables} replacedBy={loading !== null || error !== null} />
          <ColumnForm tables={tables} />
          {columnsError && <Problem error={columnsError} testId="columns-problem" />}
          {examples && <ExamplesSummary examples={examples} />}
          <PreviewTable preview={tables.previewTrain} columns={examples?.settings.columns ?? tables.guess} />
          {examples && <TokenizeCheck />}
        </div>
      )}
    </section>
  );
}

function FileList({ tables, replacedBy }: { tables: DataTables; replacedBy: boolean }) {
  return (
    <p className="status ok">
      <span className="dot" aria-hidden />
      <span>
        {replacedBy ? 'Still loaded: ' : 'Loaded: '}
        {tables.files.map((f, i) => (
          <span key={f.role} data-testid={`data-file-${f.role}`}>
            {i > 0 && ' · '}
            <code>{f.name}</code> ({f.role}, {formatCount(f.rows)} rows, {f.format.toUpperCase()}, {formatBytes(f.bytes)})
          </span>
        ))}
      </span>
    </p>
  );
}
