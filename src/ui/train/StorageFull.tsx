import { formatBytes } from '../format';
import { useSetup } from '../state/setup';
import { useTrain } from '../state/train';
import { describeStorageFull, type StorageReport } from '../../shared/storage';
import { DeleteRunButton } from '../DeleteRunButton';

/**
 * The run is paused because its checkpoint did not fit in this browser's storage: what the saved
 * runs take, the runs to delete (largest first), and Continue to save again.
 */
export function StorageFull({ report }: { report: StorageReport }) {
  const runs = useSetup((s) => s.runs);
  const resumePaused = useTrain((s) => s.resumePaused);
  const gone = (id: string) => runs.status === 'done' && !runs.value.some((r) => r.id === id);
  return (
    <div className="problem" role="alert" data-testid="train-storage-full" data-code="STORAGE_FULL" data-tour="storage-full">
      <p className="status bad">
        <span className="dot" aria-hidden />
        <strong>Storage is full: the run is paused, nothing is lost</strong>
      </p>
      <p className="problem-message">{describeStorageFull(report, true)}</p>
      {report.candidates.length > 0 && (
        <table className="runs" aria-label="Saved runs you could delete, largest first">
          <thead>
            <tr>
              <th scope="col">Saved run</th>
              <th scope="col" className="num">
                Size
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {report.candidates.map((run) => (
              <tr key={run.id} data-testid="storage-candidate" data-run-id={run.id} data-bytes={run.bytes}>
                <td>
                  {run.name} <span className="muted small">({run.status}, step {run.step})</span>
                </td>
                <td className="num">{formatBytes(run.bytes)}</td>
                <td className="actions">
                  {gone(run.id) ? (
                    <span className="muted small">deleted</span>
                  ) : (
                    <DeleteRunButton run={run} testId="storage-delete" />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="row">
        <button type="button" onClick={() => void resumePaused()} data-testid="storage-continue">
          Continue: save again
        </button>
      </div>
    </div>
  );
}
