import { ModelPanel } from './ModelPanel';
import { DataPanel } from './DataPanel';
import { ExportPanel } from './ExportPanel';

/** The "Setup" screen: bring a model and data, see them, get files out. */
export function SetupScreen() {
  return (
    <>
      <ModelPanel />
      <DataPanel />
      <ExportPanel />
    </>
  );
}
