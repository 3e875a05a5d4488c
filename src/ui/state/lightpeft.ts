/**
 * The live Light-PEFT view's state (zustand): the mask snapshots of the run being trained (a
 * bounded history, so the views can play back how the masks evolved), where the run is, and what
 * pruning did. The training store feeds it from the worker's messages; the masks, explorer and
 * results views read it. Rendering reads `shown()`: the latest snapshot, or the one picked for playback.
 */
import { create } from 'zustand';
import type { LightPeftStage, MaskSnapshot, PruneOutcome } from '../../workers/protocol';

import { SNAPSHOT_HISTORY } from '../../shared/light-peft';

export { SNAPSHOT_HISTORY };

export interface LightPeftLiveState {
  /** The run the snapshots belong to (null: no Light-PEFT run yet). */
  runId: string | null;
  stage: LightPeftStage | null;
  /** Oldest first, at most SNAPSHOT_HISTORY. */
  snapshots: MaskSnapshot[];
  pruned: PruneOutcome | null;
  /** Index into `snapshots` the views show instead of the latest (playback); null: follow the latest. */
  playback: number | null;
  /** A new run starts: everything from the previous one is dropped. */
  reset(runId: string): void;
  addSnapshot(snapshot: MaskSnapshot): void;
  setStage(stage: LightPeftStage | null, pruned: PruneOutcome | null): void;
  setPlayback(index: number | null): void;
}

export const useLightPeft = create<LightPeftLiveState>()((set, get) => ({
  runId: null,
  stage: null,
  snapshots: [],
  pruned: null,
  playback: null,
  reset: (runId) => set({ runId, stage: null, snapshots: [], pruned: null, playback: null }),
  addSnapshot: (snapshot) => {
    const snapshots = [...get().snapshots, snapshot].slice(-SNAPSHOT_HISTORY);
    const playback = get().playback;
    // A dropped snapshot shifts the one being played back.
    const shifted = playback === null ? null : Math.max(0, playback - (get().snapshots.length + 1 - snapshots.length));
    set({ snapshots, playback: shifted });
  },
  setStage: (stage, pruned) => set({ stage, pruned }),
  setPlayback: (index) => set({ playback: index === null ? null : Math.max(0, Math.min(index, get().snapshots.length - 1)) }),
}));

/** The snapshot the views render: the one picked for playback, else the latest (null before the first). */
export function shownSnapshot(state: Pick<LightPeftLiveState, 'snapshots' | 'playback'>): MaskSnapshot | null {
  const { snapshots, playback } = state;
  if (snapshots.length === 0) return null;
  return snapshots[playback ?? snapshots.length - 1] ?? null;
}
