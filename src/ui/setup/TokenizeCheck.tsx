import { useState } from 'react';
import { Problem } from '../Problem';
import { formatCount } from '../format';
import type { TokenizeCheckResult } from '../../workers/protocol';
import { DEFAULT_MAX_LENGTH, useSetup } from '../state/setup';

/** Tokenizes the first training batch with the model's tokenizer and shows the token counts. */
export function TokenizeCheck() {
  const model = useSetup((s) => s.model);
  const check = useSetup((s) => s.tokenize);
  const run = useSetup((s) => s.tokenizeCheck);
  const [maxLength, setMaxLength] = useState(String(DEFAULT_MAX_LENGTH));
  return (
    <section className="subpanel" aria-labelledby="tokenize-heading" data-testid="tokenize-check" data-status={check.status}>
      <h3 id="tokenize-heading">Tokenize check</h3>
      <p className="muted small">
        Runs the first batch of training texts through {model ? 'the model’s tokenizer' : 'the tokenizer of the model (load one above)'}: how long the
        texts are in tokens, and how many the max length cuts.
      </p>
      <form
        className="row"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void run(Number(maxLength));
        }}
      >
        <label>
          Max length{' '}
          <input
            type="number"
            min={3}
            max={model?.maxTokens}
            step={1}
            className="narrow"
            value={maxLength}
            onChange={(event) => setMaxLength(event.target.value)}
            data-testid="max-length"
          />{' '}
          tokens
        </label>
        <button type="submit" disabled={check.status === 'running'} data-testid="tokenize-run">
          {check.status === 'running' ? 'Tokenizing…' : 'Tokenize check'}
        </button>
      </form>
      {check.status === 'done' && <CheckResult result={check.value} />}
      {check.status === 'failed' && <Problem error={check.error} testId="tokenize-problem" />}
    </section>
  );
}

function CheckResult({ result }: { result: TokenizeCheckResult }) {
  const { tokens } = result;
  return (
    <div data-testid="tokenize-result" data-max={tokens.max} data-truncated={result.truncated} data-padded={result.paddedLength}>
      <p>
        {result.rows} texts: <strong>{formatCount(tokens.min)}</strong> to <strong>{formatCount(tokens.max)}</strong> tokens (median{' '}
        {formatCount(tokens.median)}, mean {tokens.mean.toFixed(1)}, special tokens included).{' '}
        {result.truncated === 0 ? (
          <span>None is longer than {result.maxLength}: nothing is cut.</span>
        ) : (
          <span>
            <strong>
              {result.truncated} of {result.rows}
            </strong>{' '}
            are longer than {result.maxLength} tokens and are cut to it.
          </span>
        )}{' '}
        <span className="muted">
          The padded batch is {result.rows} × {result.paddedLength}. Tokenizer vocabulary {formatCount(result.tokenizerVocab)}, model vocabulary{' '}
          {formatCount(result.modelVocab)}.
        </span>
      </p>
      <ol className="samples">
        {result.samples.map((s, i) => (
          <li key={i}>
            <p className="sample-text">
              {s.text} <span className="muted">({formatCount(s.tokens)} tokens)</span>
            </p>
            <p className="pieces" aria-label="First tokens">
              {s.pieces.map((p, j) => (
                <span key={j} className="piece">
                  {p.replace(/ /g, '·').replace(/\n/g, '↵') || '∅'}
                </span>
              ))}
              {s.tokens - 2 > s.pieces.length && <span className="muted"> …</span>}
            </p>
          </li>
        ))}
      </ol>
    </div>
  );
}
