/**
 * A checkpoint's manifest: the tensors it holds and their sizes, stored in the run record beside
 * it, so a checkpoint that is not whole (a tensor missing, a tensor cut short) is refused on load
 * instead of being resumed, and the run's size is known without reading its tensors.
 */
import { CheckpointIncompleteError } from '../../errors';
import type { CheckpointManifest, RunRecord, StoredTensor } from './checkpoint-store';

export function manifestOf(tensors: Map<string, StoredTensor>): CheckpointManifest {
  const counts: Record<string, number> = {};
  let bytes = 0;
  for (const [name, tensor] of tensors) {
    counts[name] = tensor.data.length;
    bytes += tensor.data.byteLength;
  }
  return { tensors: counts, bytes };
}

/** Throws CheckpointIncompleteError unless every tensor the record lists is there, whole, and shaped as its values. */
export function checkWholeCheckpoint(run: RunRecord, tensors: Map<string, StoredTensor> | null): void {
  const manifest = run.checkpoint;
  if (!manifest) return; // saved before manifests existed: nothing to check against
  const fail = (problem: string) => {
    throw new CheckpointIncompleteError(run.name, problem);
  };
  const names = Object.keys(manifest.tensors);
  if (!tensors) {
    if (names.length > 0) fail(`none of its ${names.length} tensors is stored`);
    return;
  }
  const missing = names.filter((name) => !tensors.has(name));
  if (missing.length > 0) fail(`${missing.length} of its ${names.length} tensors missing, e.g. ${missing[0]}`);
  for (const name of names) {
    const tensor = tensors.get(name)!;
    const want = manifest.tensors[name];
    if (!(tensor.data instanceof Float32Array) || tensor.data.length !== want) fail(`${name} has ${tensor.data?.length ?? 0} of its ${want} values`);
    const shaped = tensor.shape.reduce((a, b) => a * b, 1);
    if (shaped !== want) fail(`${name} has ${want} values but its shape [${tensor.shape.join(', ')}] needs ${shaped}`);
  }
  const extra = [...tensors.keys()].filter((name) => !(name in manifest.tensors));
  if (extra.length > 0) fail(`it holds ${extra.length} tensor(s) its record does not list, e.g. ${extra[0]}: it belongs to another save`);
}

/** The bytes a run takes in storage: its checkpoint's tensors (per its manifest) and its record. */
export function storedBytesOf(run: RunRecord, tensorBytes = run.checkpoint?.bytes ?? 0): number {
  const { checkpoint: _manifest, ...rest } = run;
  return tensorBytes + JSON.stringify(rest).length;
}
