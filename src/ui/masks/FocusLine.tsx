/** The exact value and HF name of the cell under the pointer or keyboard focus (fixed height: nothing shifts). */
export function FocusLine({ text, testId }: { text: string | null; testId: string }) {
  return (
    <p className="focus-line small" aria-live="polite" data-testid={testId}>
      {text ?? 'Point at or tab to a cell for its exact value and name.'}
    </p>
  );
}
