/**
 * What this browser's storage holds when a checkpoint no longer fits: the origin's usage and quota
 * (navigator.storage.estimate) and each saved run's size, largest first, so the person knows
 * what to delete. Built by the worker (src/workers/handlers/storage-report.ts), worded by
 * StorageFullError and shown by the Train panel.
 */
import { formatBytes } from './format-bytes';

export interface StoredRunSize {
  id: string;
  name: string;
  status: string;
  /** The step of its stored checkpoint. */
  step: number;
  updatedAt: number;
  /** The run record and its checkpoint's tensors. */
  bytes: number;
}

export interface StorageReport {
  /** The run whose checkpoint did not fit. */
  runId: string;
  /** From navigator.storage.estimate(); null where the browser does not say. */
  usageBytes: number | null;
  quotaBytes: number | null;
  /** All saved runs together. */
  runsBytes: number;
  /** The other saved runs, largest first (then oldest first): the ones to delete. */
  candidates: StoredRunSize[];
  /** The run that did not fit, as last saved (null when it has no earlier checkpoint). */
  current: StoredRunSize | null;
}

/**
 * The report in one paragraph (the error's message; the panel lists the runs itself). `paused`:
 * the run waits in memory for Continue; otherwise it has ended and resumes from its last checkpoint.
 */
export function describeStorageFull(report: StorageReport, paused: boolean): string {
  const used = report.usageBytes !== null ? `${formatBytes(report.usageBytes)} used` : null;
  const quota = report.quotaBytes !== null ? `of ${formatBytes(report.quotaBytes)} allowed` : null;
  const usage = [used, quota].filter(Boolean).join(' ');
  const kept = report.current ? ` (step ${report.current.step})` : '';
  const biggest = report.candidates.slice(0, 3).map((r) => `“${r.name}” (${formatBytes(r.bytes)})`);
  return (
    `This browser's storage for the app is full${usage ? ` (${usage})` : ''}: the checkpoint could not be saved. ` +
    `Saved runs take ${formatBytes(report.runsBytes)}. ` +
    (biggest.length > 0 ? `Delete runs you no longer need, largest first: ${biggest.join(', ')}. ` : 'There are no other saved runs to delete: free space in this browser (other sites’ data) or shorten the run. ') +
    (paused
      ? `${report.current ? `The run’s earlier checkpoint${kept} is kept, and its` : 'Nothing of this run is saved yet; its'} training waits in memory, paused: after making room, click Continue to save it.`
      : report.current
        ? `The run has stopped; its earlier checkpoint${kept} is kept: after making room, Resume it from “Saved runs”.`
        : 'The run has stopped before its first checkpoint could be saved: after making room, start it again.')
  );
}
