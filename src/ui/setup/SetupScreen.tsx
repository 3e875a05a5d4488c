import { ModelPanel } from './ModelPanel';
import { DataPanel } from './DataPanel';
import { ExportPanel } from './ExportPanel';
import { TrainPanel } from '../train/TrainPanel';

/** The "Setup" screen: bring a model and data, see them, train, get files out. */
export function SetupScreen() {
  return (
    <>
      <ModelPanel />
      <DataPanel />
      <TrainPanel />
      <ExportPanel />
    </>
  );
}
