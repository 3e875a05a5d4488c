import { formatBytes, formatPercent } from '../format';
import type { Loading } from '../state/setup';

/**
 * What is loading, the file being read, and its bytes and percentage when the size is known; with
 * `onCancel`, a Cancel button beside it.
 */
export function ProgressBar({ loading, testId, onCancel }: { loading: Loading; testId: string; onCancel?: () => void }) {
  const { what, progress } = loading;
  const fraction = progress?.total ? Math.min(1, progress.loaded / progress.total) : null;
  const amount = !progress
    ? 'starting…'
    : progress.cached
      ? `${formatBytes(progress.loaded)} from this browser's cache`
      : progress.total
        ? `${formatBytes(progress.loaded)} of ${formatBytes(progress.total)} (${formatPercent(fraction!, 0)})`
        : `${formatBytes(progress.loaded)}`;
  return (
    <div className="progress" data-testid={testId}>
      <div className="progress-text" aria-live="polite">
        <span>
          {what}
          {progress && (
            <>
              : <code>{progress.file}</code>
            </>
          )}
        </span>
        <span className="muted">{loading.cancelling ? 'cancelling…' : amount}</span>
      </div>
      <div className="progress-row">
        <div
          className={`progress-track${fraction === null ? ' indeterminate' : ''}`}
          role="progressbar"
          aria-label={progress ? `${what}: ${progress.file}` : what}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={fraction === null ? undefined : Math.round(fraction * 100)}
        >
          <div className="progress-fill" style={{ width: fraction === null ? undefined : `${fraction * 100}%` }} />
        </div>
        {onCancel && (
          <button type="button" className="secondary small" disabled={loading.cancelling} onClick={onCancel} data-testid={`${testId}-cancel`}>
            {loading.cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        )}
      </div>
    </div>
  );
}
