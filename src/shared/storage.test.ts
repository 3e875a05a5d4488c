import { describe, expect, it } from 'vitest';
import { describeStorageFull, type StorageReport } from './storage';

const run = (id: string, bytes: number, step = 4) => ({ id, name: `run ${id}`, status: 'paused', step, updatedAt: 1, bytes });
const report: StorageReport = {
  runId: 'now',
  usageBytes: 5 * 1024 * 1024,
  quotaBytes: 6 * 1024 * 1024,
  runsBytes: 4.5 * 1024 * 1024,
  candidates: [run('a', 2 * 1024 * 1024), run('b', 1024 * 1024), run('c', 512 * 1024), run('d', 1000)],
  current: run('now', 1024 * 1024, 8),
};

describe('the storage-full message', () => {
  it('says what is used and allowed, what the runs take, the three largest runs to delete, and what happens next', () => {
    expect(describeStorageFull(report, true)).toBe(
      "This browser's storage for the app is full (5.00 MiB used of 6.00 MiB allowed): the checkpoint could not be saved. Saved runs take 4.50 MiB. " +
        'Delete runs you no longer need, largest first: “run a” (2.00 MiB), “run b” (1.00 MiB), “run c” (512.0 KiB). ' +
        'The run’s earlier checkpoint (step 8) is kept, and its training waits in memory, paused: after making room, click Continue to save it.',
    );
    expect(describeStorageFull(report, false)).toMatch(/The run has stopped; its earlier checkpoint \(step 8\) is kept: after making room, Resume it from “Saved runs”\.$/);
  });

  it('without an estimate, other runs or an earlier checkpoint says so', () => {
    const bare = { ...report, usageBytes: null, quotaBytes: null, candidates: [], current: null, runsBytes: 0 };
    expect(describeStorageFull(bare, true)).toBe(
      "This browser's storage for the app is full: the checkpoint could not be saved. Saved runs take 0 B. There are no other saved runs to delete: free space in this browser (other sites’ data) or shorten the run. Nothing of this run is saved yet; its training waits in memory, paused: after making room, click Continue to save it.",
    );
    expect(describeStorageFull(bare, false)).toMatch(/stopped before its first checkpoint could be saved: after making room, start it again\.$/);
  });
});
