/**
 * A full disk, told apart from other storage failures, and what to say about it: the origin's
 * usage and quota (navigator.storage.estimate) and each saved run's size from its checkpoint's
 * manifest (or, for a record saved before manifests, from its stored tensors).
 */
import type { CheckpointStore, RunRecord } from '../../engine/train/checkpoint-store';
import { storedBytesOf } from '../../engine/train/checkpoint-manifest';
import type { StorageReport, StoredRunSize } from '../../shared/storage';

/** IndexedDB's "no room": a QuotaExceededError from a request or from the aborted transaction. */
export function isQuotaError(error: unknown): boolean {
  const e = error as { name?: unknown; code?: unknown } | null;
  return e?.name === 'QuotaExceededError' || e?.name === 'NS_ERROR_DOM_QUOTA_REACHED' || e?.code === 22;
}

export async function storageReport(store: CheckpointStore, runId: string): Promise<StorageReport> {
  const runs = await store.listRuns().catch(() => [] as RunRecord[]);
  const sizes = await Promise.all(runs.map((run) => sizeOf(store, run)));
  const estimate = await storageEstimate();
  const candidates = sizes.filter((s) => s.id !== runId).sort((a, b) => b.bytes - a.bytes || a.updatedAt - b.updatedAt);
  return {
    runId,
    usageBytes: estimate?.usage ?? null,
    quotaBytes: estimate?.quota ?? null,
    runsBytes: sizes.reduce((sum, s) => sum + s.bytes, 0),
    candidates,
    current: sizes.find((s) => s.id === runId) ?? null,
  };
}

async function sizeOf(store: CheckpointStore, run: RunRecord): Promise<StoredRunSize> {
  let tensorBytes = run.checkpoint?.bytes;
  if (tensorBytes === undefined) {
    const saved = await store.load(run.id).catch(() => null);
    tensorBytes = [...(saved?.tensors.values() ?? [])].reduce((sum, t) => sum + t.data.byteLength, 0);
  }
  return { id: run.id, name: run.name, status: run.status, step: run.step, updatedAt: run.updatedAt, bytes: storedBytesOf(run, tensorBytes) };
}

async function storageEstimate(): Promise<StorageEstimate | null> {
  const storage = (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
  if (!storage?.estimate) return null;
  return storage.estimate().catch(() => null);
}
