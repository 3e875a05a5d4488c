/**
 * Results screen state (zustand): the runs picked for comparison and their details as the worker
 * read them, the last "Try it" classification, and the last run export. Each request records its
 * outcome as a Task; a failed one keeps its error for the Problem box.
 */
import { create } from 'zustand';
import { useApp, toShown, type Task } from '../store';
import type { ClassProbability, RunDetails } from '../../workers/protocol';
import { downloadBytes } from './download';

export interface ResultsState {
  /** Run ids ticked for the comparison, in the order they were ticked. */
  selected: string[];
  /** Each ticked run's details (kept when unticked, so ticking again is instant). */
  details: Record<string, Task<RunDetails>>;
  classified: Task<ClassProbability[]>;
  exported: Task<{ fileName: string; bytes: number }>;
  /** Ticks or unticks a run; ticking reads its details from the worker the first time. */
  toggleRun(runId: string): Promise<void>;
  classify(text: string, textPair?: string): Promise<void>;
  exportRun(): Promise<void>;
}

function client() {
  const c = useApp.getState().client;
  if (!c) throw new Error('The engine worker has not started');
  return c;
}

/** Class probabilities, most likely first (ties keep the worker's order: by label id). */
export function byProbability(probabilities: ClassProbability[]): ClassProbability[] {
  return [...probabilities].sort((a, b) => b.probability - a.probability);
}

export const useResults = create<ResultsState>()((set, get) => ({
  selected: [],
  details: {},
  classified: { status: 'idle' },
  exported: { status: 'idle' },

  async toggleRun(runId) {
    const { selected, details } = get();
    if (selected.includes(runId)) {
      set({ selected: selected.filter((id) => id !== runId) });
      return;
    }
    set({ selected: [...selected, runId] });
    if (details[runId]?.status === 'done' || details[runId]?.status === 'running') return;
    set({ details: { ...get().details, [runId]: { status: 'running' } } });
    try {
      const value = await client().runDetails(runId);
      set({ details: { ...get().details, [runId]: { status: 'done', value } } });
    } catch (error) {
      set({ details: { ...get().details, [runId]: { status: 'failed', error: toShown(error) } } });
    }
  },

  async classify(text, textPair) {
    set({ classified: { status: 'running' } });
    try {
      const probabilities = await client().classify(text, textPair);
      set({ classified: { status: 'done', value: byProbability(probabilities) } });
    } catch (error) {
      set({ classified: { status: 'failed', error: toShown(error) } });
    }
  },

  async exportRun() {
    set({ exported: { status: 'running' } });
    try {
      const { fileName, bytes } = await client().exportRun();
      downloadBytes(bytes, fileName, 'application/zip');
      set({ exported: { status: 'done', value: { fileName, bytes: bytes.byteLength } } });
    } catch (error) {
      set({ exported: { status: 'failed', error: toShown(error) } });
    }
  },
}));
