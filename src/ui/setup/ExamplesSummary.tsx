import type { DataExamples } from '../../workers/protocol';
import { MAX_TEXT_CHARS, type LabelBalance } from '../../shared/datasets';
import { formatCount, formatPercent } from '../format';

/** How many examples each side has, the label balance of each, and what was skipped or clipped. */
export function ExamplesSummary({ examples }: { examples: DataExamples }) {
  const { settings, validationFrom } = examples;
  return (
    <div className="examples" data-testid="examples-summary" data-train={examples.trainCount} data-validation={examples.validationCount}>
      <p>
        <strong>{formatCount(examples.trainCount)}</strong> training and <strong>{formatCount(examples.validationCount)}</strong> validation examples,{' '}
        {examples.id2label.length} classes.{' '}
        <span className="muted">
          {validationFrom === 'file'
            ? 'Validation comes from the validation file.'
            : `Validation is ${formatPercent(settings.validationFraction, 0)} of the training file, held out with seed ${settings.seed}.`}
        </span>
      </p>
      <div className="balances">
        <Balance title="Training labels" balance={examples.trainBalance} testId="label-balance" />
        <Balance title="Validation labels" balance={examples.validationBalance} testId="label-balance-validation" />
      </div>
      <Warnings examples={examples} />
    </div>
  );
}

function Balance({ title, balance, testId }: { title: string; balance: LabelBalance; testId: string }) {
  return (
    <figure className="balance" data-testid={testId}>
      <figcaption>
        {title} <span className="muted">({formatCount(balance.total)})</span>
      </figcaption>
      <table>
        <tbody>
          {balance.classes.map((c) => (
            <tr key={c.id}>
              <th scope="row" title={`label id ${c.id}`}>
                {c.label}
              </th>
              <td className="num">{formatCount(c.count)}</td>
              <td className="num">{formatPercent(c.fraction)}</td>
              <td className="bar-cell" aria-hidden>
                <span className="bar" style={{ width: `${c.fraction * 100}%` }} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">Always answering the most common class scores {formatPercent(balance.majorityFraction)}: the bar to beat.</p>
    </figure>
  );
}

function Warnings({ examples }: { examples: DataExamples }) {
  const { skipped, clipped } = examples;
  if (skipped.total === 0 && clipped.total === 0) return null;
  return (
    <div className="note" data-testid="data-warnings">
      {skipped.total > 0 && (
        <p>
          <strong>{formatCount(skipped.total)} rows skipped</strong> (blank text):{' '}
          {skipped.first.map((s) => `${s.file} line ${s.line}`).join(', ')}
          {skipped.total > skipped.first.length && ', …'}
        </p>
      )}
      {clipped.total > 0 && (
        <p>
          <strong>{formatCount(clipped.total)} texts clipped</strong> to {formatCount(MAX_TEXT_CHARS)} characters (the tokenizer keeps far fewer anyway):{' '}
          {clipped.first.map((c) => `${c.file} line ${c.line} (${formatCount(c.chars)} characters)`).join(', ')}
          {clipped.total > clipped.first.length && ', …'}
        </p>
      )}
    </div>
  );
}
