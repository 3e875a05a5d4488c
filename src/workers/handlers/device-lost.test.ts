/**
 * A GPU device lost mid-run (device.destroy(), in Node through Dawn): the worker's training goes on
 * from its last checkpoint on a new device, within the same request, and ends where an
 * uninterrupted run ends: the same loss points, evaluations, metrics and trained weights.
 */
import 'fake-indexeddb/auto';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { acquireNodeGpu } from '../../platform/node/gpu';
import type { EvalLog } from '../../engine/train/trainer';
import { gpuProvider } from '../gpu-provider';
import type { TrainProgress, TrainResult } from '../protocol';
import { TINY_TRAIN_OPTIONS, tinySession } from '../../../test/worker-session';
import type { Session } from '../session';
import { startTraining, MAX_DEVICE_RECOVERIES } from './train';
import { exportAdapter } from './export-adapter';

const OPTIONS = TINY_TRAIN_OPTIONS;

const readySession = (store: string) => tinySession(store, {}, gpuProvider(acquireNodeGpu));

const points = (r: TrainResult) => ({ loss: r.loss.map((l) => [l.step, l.loss]), evaluations: r.evaluations.map(({ seconds, ...e }: EvalLog) => e), metrics: r.metrics });

async function adapterWeights(session: Session): Promise<Uint8Array> {
  const zip = unzipSync((await exportAdapter(session)).bytes);
  const name = Object.keys(zip).find((n) => n.endsWith('adapter_model.safetensors'));
  if (!name) throw new Error(`no adapter weights in ${Object.keys(zip).join(', ')}`);
  return zip[name];
}

describe('a lost GPU device during training', () => {
  it('goes on from the last checkpoint on a new device and ends as an uninterrupted run does', async () => {
    const straight = await readySession('device-straight');
    const expected = await startTraining(straight, OPTIONS, () => {});

    const session = await readySession('device-lost');
    const first = await session.gpu();
    const seen: TrainProgress[] = [];
    let destroyed = false;
    const result = await startTraining(session, OPTIONS, (p) => {
      seen.push(structuredClone(p));
      if (p.step === 6 && !destroyed) {
        destroyed = true;
        first.device.destroy(); // after step 6; the checkpoint is step 4's
      }
    });
    expect(result).toMatchObject({ status: 'finished', step: 12 });
    const recovered = seen.filter((p) => p.recoveries.length === 1);
    expect(recovered[0].recoveries[0]).toMatchObject({ lostAtStep: 6, resumedFrom: 4, reason: expect.stringMatching(/The GPU device was lost \(destroyed/) });
    expect(recovered[0].startStep).toBe(4);
    expect(recovered[0].newLogs.map((l) => l.step)).toEqual([4]); // the new attempt's first message: every point up to the checkpoint
    expect(seen.filter((p) => p.recoveries.length === 0).every((p) => p.step <= 6)).toBe(true);
    expect(await session.gpu()).not.toBe(first);
    expect(points(result)).toEqual(points(expected));
    expect(await adapterWeights(session)).toEqual(await adapterWeights(straight));
  });

  it(`gives up after ${MAX_DEVICE_RECOVERIES} recoveries in one request, leaving the run resumable`, async () => {
    const session = await readySession('device-lost-again');
    const lostInAttempt = new Set<number>(); // each attempt goes on from step 0 and loses its device at step 2
    const error = await startTraining(session, OPTIONS, (p) => {
      if (p.step === 2 && !lostInAttempt.has(p.recoveries.length)) {
        lostInAttempt.add(p.recoveries.length);
        void session.gpu().then((ctx) => ctx.device.destroy());
      }
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'DEVICE_LOST' });
    expect(lostInAttempt.size).toBe(MAX_DEVICE_RECOVERIES + 1);
    const [run] = await (await session.checkpoints()).listRuns();
    expect(run.status).toBe('running'); // as last saved: a reload lists it to resume
  });
});
