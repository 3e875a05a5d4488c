import { useSetup } from './state/setup';

/** Deletes a saved run and its checkpoint, after the person confirms (the saved runs list, the storage-full message). */
export function DeleteRunButton({ run, disabled = false, testId }: { run: { id: string; name: string }; disabled?: boolean; testId: string }) {
  const remove = useSetup((s) => s.deleteRun);
  return (
    <button
      type="button"
      className="danger small"
      disabled={disabled}
      onClick={() => {
        if (confirm(`Delete the run “${run.name}” and its checkpoint? This cannot be undone.`)) void remove(run.id);
      }}
      aria-label={`Delete run ${run.name}`}
      data-testid={testId}
    >
      Delete
    </button>
  );
}
