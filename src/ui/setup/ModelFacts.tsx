import type { ModelSummary } from '../../workers/protocol';
import { formatBytes, formatCount, formatMillions, formatPercent } from '../format';

/** Millions for real models, the exact count for tiny ones. */
function formatParameters(n: number): string {
  return n >= 1e6 ? formatMillions(n) : `${formatCount(n)} (${formatMillions(n)})`;
}

const SOURCE_NAMES: Record<ModelSummary['sourceKind'], string> = {
  demo: 'built into this app',
  files: 'this computer',
  hub: 'the Hugging Face Hub',
};

/** What was loaded: shapes, sizes, labels, tokenizer and GPU memory. */
export function ModelFacts({ model, replacedBy }: { model: ModelSummary; replacedBy: boolean }) {
  const headDim = model.hidden / model.heads;
  return (
    <div
      className="loaded"
      data-testid="model-summary"
      data-model-type={model.modelType}
      data-layers={model.layers}
      data-hidden={model.hidden}
      data-heads={model.heads}
      data-intermediate={model.intermediate}
      data-vocab={model.vocabSize}
      data-max-tokens={model.maxTokens}
      data-gpu-bytes={model.gpuBytes}
      data-labels={model.id2label.join(',')}
    >
      <p className="status ok">
        <span className="dot" aria-hidden />
        <span>
          {replacedBy ? 'Still loaded: ' : 'Loaded: '}
          <strong>{model.name}</strong> <span className="muted">from {SOURCE_NAMES[model.sourceKind]}</span>
        </span>
      </p>
      <dl className="facts">
        <dt>Architecture</dt>
        <dd>
          {model.modelType} · {model.layers} layers × {model.hidden} hidden × {model.heads} heads (head size {headDim})
        </dd>
        <dt>FFN</dt>
        <dd>{formatCount(model.intermediate)} dimensions per layer</dd>
        <dt>Vocabulary</dt>
        <dd>
          {formatCount(model.vocabSize)} tokens · inputs up to {formatCount(model.maxTokens)} tokens
        </dd>
        <dt>Parameters</dt>
        <dd>
          {formatParameters(model.parameters)} in the base model · {formatParameters(model.trainableParameters)} to train (
          {formatPercent(model.trainableParameters / model.parameters)}: {model.peft}, and the classification head; not trained yet)
        </dd>
        <dt>Labels</dt>
        <dd>
          {model.id2label.length}: {model.id2label.join(', ')}
          {model.freshHead && <span className="muted"> — the checkpoint has no classification head, so a new one was made</span>}
        </dd>
        <dt>Tokenizer</dt>
        <dd data-testid="model-tokenizer">
          {model.tokenizer ? (
            <>
              {formatCount(model.tokenizer.vocabSize)} tokens from <code>{model.tokenizer.source}</code>
              {model.tokenizer.modelMaxLength !== null && <span className="muted"> · made for up to {formatCount(model.tokenizer.modelMaxLength)} tokens</span>}
            </>
          ) : (
            <span className="warn-text">none</span>
          )}
        </dd>
        <dt>GPU memory in use</dt>
        <dd data-testid="model-gpu-bytes">{formatBytes(model.gpuBytes)}</dd>
        <dt>Files read</dt>
        <dd className="small">
          {model.files.map((f, i) => (
            <span key={f.name}>
              {i > 0 && ', '}
              <code>{f.name}</code> ({formatBytes(f.bytes)})
            </span>
          ))}
        </dd>
      </dl>
      {model.tokenizerProblem && (
        <p className="note" data-testid="model-tokenizer-problem">
          {model.tokenizerProblem}
        </p>
      )}
    </div>
  );
}
