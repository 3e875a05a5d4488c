import { useRef, useState } from 'react';
import { useApp } from '../store';
import { Problem } from '../Problem';
import type { PickedFile } from '../../workers/protocol';
import { useSetup } from '../state/setup';
import { DropZone } from './DropZone';
import { ProgressBar } from './ProgressBar';
import { ModelFacts } from './ModelFacts';
import { canPickDirectory, filesFromInput, pickDirectory } from './pick-files';
import { demoModelUrl } from '../state/demo-urls';
import { isTraining, useTrain } from '../state/train';

const HUB_EXAMPLES = ['FacebookAI/roberta-base', 'distilbert/distilroberta-base'];

/** Step 1: the model, from the built-in demo, a local folder, or the Hugging Face Hub. */
export function ModelPanel() {
  const gpuStatus = useApp((s) => s.gpu.status);
  const model = useSetup((s) => s.model);
  const loading = useSetup((s) => s.modelLoading);
  const error = useSetup((s) => s.modelError);
  const note = useSetup((s) => s.modelNote);
  const loadModel = useSetup((s) => s.loadModel);
  const cancelLoad = useSetup((s) => s.cancelModelLoad);
  const showError = useSetup((s) => s.showModelError);
  const [hubId, setHubId] = useState('');
  // Component state only: never in the store, storage, run records or exports.
  const [token, setToken] = useState('');
  const folderInput = useRef<HTMLInputElement>(null);
  const training = useTrain((s) => isTraining(s.status));
  const noGpu = gpuStatus === 'failed';
  const busy = loading !== null || gpuStatus !== 'done' || training;

  const loadFiles = (files: PickedFile[]) => {
    if (files.length > 0) void loadModel({ kind: 'files', files }, 'Reading');
  };
  const chooseFolder = () => {
    if (!canPickDirectory()) {
      folderInput.current?.click();
      return;
    }
    pickDirectory().then((files) => files && loadFiles(files), showError);
  };

  return (
    <section className="panel" aria-labelledby="model-heading" data-testid="model-panel" data-status={loading ? 'loading' : model ? 'loaded' : 'empty'}>
      <h2 id="model-heading">
        <span className="step">1</span> Model
      </h2>
      <p className="muted">
        A RoBERTa-family encoder (roberta, xlm-roberta, camembert): config.json, model.safetensors (or sharded with
        model.safetensors.index.json) and tokenizer.json. It is read here and uploaded to your GPU.
      </p>
      {noGpu && <p className="note">Loading a model needs WebGPU: see “Your GPU” above. You can still look at your data below.</p>}

      <div className="sources">
        <div className="source">
          <h3>Built-in demo</h3>
          <p className="muted small">A small RoBERTa this project pre-trained itself, with its own tokenizer. Nothing is downloaded.</p>
          <button type="button" disabled={busy} onClick={() => void loadModel({ kind: 'demo', url: demoModelUrl() }, 'Fetching the demo model')} data-testid="model-demo">
            Use the demo model
          </button>
        </div>

        <DropZone testId="model-drop" label="Drop a model folder or its files here" disabled={busy} onFiles={loadFiles} onError={showError}>
          <h3>Your model folder</h3>
          <p className="muted small">Drop the folder (or its files) here, or choose it. The files stay on this computer.</p>
          <div className="row">
            <button type="button" disabled={busy} onClick={chooseFolder} data-testid="model-folder-button">
              Choose folder…
            </button>
            <label className={`button secondary${busy ? ' disabled' : ''}`}>
              Choose files…
              <input
                type="file"
                multiple
                className="visually-hidden"
                disabled={busy}
                data-testid="model-files-input"
                onChange={(event) => {
                  loadFiles(filesFromInput(event.currentTarget));
                  event.currentTarget.value = '';
                }}
              />
            </label>
          </div>
          <input
            ref={(el) => {
              folderInput.current = el;
              if (el) el.webkitdirectory = true;
            }}
            type="file"
            className="visually-hidden"
            tabIndex={-1}
            aria-label="Model folder"
            disabled={busy}
            data-testid="model-folder-input"
            onChange={(event) => {
              loadFiles(filesFromInput(event.currentTarget));
              event.currentTarget.value = '';
            }}
          />
        </DropZone>

        <form
          className="source"
          onSubmit={(event) => {
            event.preventDefault();
            const modelId = hubId.trim();
            if (!modelId) return;
            void loadModel({ kind: 'hub', modelId, ...(token.trim() ? { token: token.trim() } : {}) }, 'Downloading from the Hugging Face Hub');
          }}
        >
          <h3>
            <label htmlFor="hub-id">Hugging Face Hub</label>
          </h3>
          <p className="muted small" id="hub-help">
            Downloaded from huggingface.co only when you click Load, then kept in this browser’s cache. Add{' '}
            <code>@revision</code> for a branch, tag or commit (e.g. <code>{HUB_EXAMPLES[0]}@main</code>).
          </p>
          <div className="row">
            <input
              id="hub-id"
              type="text"
              list="hub-examples"
              placeholder={HUB_EXAMPLES[0]}
              value={hubId}
              onChange={(event) => setHubId(event.target.value)}
              aria-describedby="hub-help"
              spellCheck={false}
              autoComplete="off"
              data-testid="hub-id"
            />
            <datalist id="hub-examples">
              {HUB_EXAMPLES.map((id) => (
                <option key={id} value={id} />
              ))}
            </datalist>
            <button type="submit" disabled={busy || !hubId.trim()} data-testid="hub-load">
              Load
            </button>
          </div>
          <details className="hub-token">
            <summary>Private or gated model?</summary>
            <label htmlFor="hub-token">Access token</label>
            <input
              id="hub-token"
              type="password"
              placeholder="hf_…"
              value={token}
              onChange={(event) => setToken(event.target.value)}
              aria-describedby="hub-token-help"
              spellCheck={false}
              autoComplete="off"
              data-testid="hub-token"
            />
            <p className="muted small" id="hub-token-help">
              Sent only to huggingface.co, with this download; never stored (closing the tab forgets it). Accept a gated
              model’s terms on its Hub page first; make a read token at huggingface.co/settings/tokens.
            </p>
          </details>
        </form>
      </div>

      {loading && <ProgressBar loading={loading} testId="model-progress" onCancel={cancelLoad} />}
      {error && <Problem error={error} testId="model-problem" />}
      {note && (
        <p className="note" role="status" data-testid="model-note">
          {note}
        </p>
      )}
      {model && <ModelFacts model={model} replacedBy={loading !== null || error !== null} />}
    </section>
  );
}
