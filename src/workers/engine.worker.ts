/**
 * The engine's home in the browser: a dedicated worker that owns the GPU device. It answers
 * each request of protocol.ts with one reply (or an error reply), posts progress while a request
 * reads files, and never lets GPU objects leave this thread. The work itself is in handlers/.
 * Messages are handled as they arrive, not one after another (model jobs queue in
 * session.withModel), so stopTraining and cancel reach the request they target while it runs.
 */
import { acquireGpu } from '../gpu/device';
import { gpuProvider } from './gpu-provider';
import { IndexedDbCheckpointStore } from '../platform/browser/indexeddb-checkpoints';
import { errorReply, type MaskSnapshot, type PlanEvaluation, type Reply, type Request, type WorkerMessage } from './protocol';
import { toErrorData } from '../errors';
import { globalScopeName, runSelfCheck } from './self-check';
import { Session, type ProgressReporter } from './session';
import { loadModel } from './handlers/load-model';
import { loadData } from './handlers/load-data';
import { chooseColumns } from './handlers/choose-columns';
import { tokenizeCheck } from './handlers/tokenize-check';
import { exportAdapter } from './handlers/export-adapter';
import { deleteRun, listRuns } from './handlers/runs';
import { resumeRun, startTraining, stopTraining, type SnapshotReporter } from './handlers/train';
import { continueTraining, evaluatePlan, pauseTraining, pruneNow, snapshotHistory, sweepPlans } from './handlers/run-actions';
import { throttledTrainProgress, type TrainProgressReporter } from './handlers/train-progress';
import { refuseWhileTraining } from './handlers/busy';
import { classifyWhenFree } from './handlers/classify';
import { runDetails } from './handlers/run-details';
import { exportRun } from './handlers/export-run';

declare const self: DedicatedWorkerGlobalScope;

const MiB = 1024 * 1024;
/** At most this many progress messages a second per request (a 500 MB file arrives in thousands of chunks). */
const PROGRESS_INTERVAL_MS = 50;
/** Training step messages at most this often (loss points, checkpoints and phases always go). */
const TRAIN_PROGRESS_INTERVAL_MS = 100;

/** The worker's one GPU context, acquired on first use and again after a lost device. */
const gpuContext = gpuProvider(
  () => acquireGpu(navigator.gpu),
  (error) => post({ type: 'deviceLost', ...toErrorData(error) }),
);

const session = new Session(gpuContext, () => IndexedDbCheckpointStore.open());

async function handle(request: Request): Promise<Reply> {
  const { id } = request;
  switch (request.type) {
    case 'init': {
      const { gpu } = await gpuContext();
      return {
        type: 'init',
        id,
        gpu: {
          ...gpu.adapterInfo,
          features: [...gpu.features],
          maxStorageBufferBindingSizeMiB: gpu.limits.maxStorageBufferBindingSize / MiB,
          maxBufferSizeMiB: gpu.limits.maxBufferSize / MiB,
          scope: globalScopeName(),
        },
      };
    }
    case 'selfCheck':
      return { type: 'selfCheck', id, result: await runSelfCheck(await gpuContext()) };
    case 'loadModel':
      refuseWhileTraining(session, 'load another model'); // refused now, not queued behind the run
      return {
        type: 'loadModel',
        id,
        model: await session.cancellable(id, (signal) => session.withModel(() => loadModel(session, request.source, progressFor(id), signal))),
      };
    case 'loadData':
      return { type: 'loadData', id, tables: await loadData(session, request.source, progressFor(id)) };
    case 'chooseColumns':
      return { type: 'chooseColumns', id, examples: chooseColumns(session, request.settings) };
    case 'tokenizeCheck':
      return { type: 'tokenizeCheck', id, result: tokenizeCheck(session, request.maxLength) };
    case 'exportAdapter':
      refuseWhileTraining(session, 'export the adapter');
      return { type: 'exportAdapter', id, ...(await session.withModel(() => exportAdapter(session))) };
    case 'listRuns':
      return { type: 'listRuns', id, runs: await listRuns(session) };
    case 'deleteRun':
      return { type: 'deleteRun', id, runs: await deleteRun(session, request.runId) };
    case 'train':
      return { type: 'train', id, result: await startTraining(session, request.options, trainProgressFor(id), snapshotsFor(id)) };
    case 'stopTraining':
      return { type: 'stopTraining', id, stopping: stopTraining(session) };
    case 'resumeRun':
      return { type: 'resumeRun', id, result: await resumeRun(session, request.runId, trainProgressFor(id), snapshotsFor(id)) };
    case 'cancel':
      return { type: 'cancel', id, cancelled: session.cancel(request.target) };
    case 'classify':
      return { type: 'classify', id, probabilities: await classifyWhenFree(session, request.text, request.textPair) };
    case 'runDetails':
      return { type: 'runDetails', id, details: await runDetails(session, request.runId) };
    case 'exportRun':
      refuseWhileTraining(session, 'export the run');
      return { type: 'exportRun', id, ...(await session.withModel(() => exportRun(session))) };
    case 'pauseTraining':
      return { type: 'pauseTraining', id, paused: pauseTraining(session) };
    case 'continueTraining':
      return { type: 'continueTraining', id, continued: continueTraining(session) };
    case 'pruneNow':
      return { type: 'pruneNow', id, outcome: await pruneNow(session, request.ratios) };
    case 'evaluatePlan':
      return { type: 'evaluatePlan', id, result: await evaluatePlan(session, request.ratios, request.limit) };
    case 'sweepPlans': {
      const total = request.points.length;
      const onPoint = (done: number, result: PlanEvaluation) => post({ type: 'sweepProgress', id, done, total, result });
      return { type: 'sweepPlans', id, results: await sweepPlans(session, request.points, onPoint, request.limit) };
    }
    case 'snapshotHistory':
      return { type: 'snapshotHistory', id, snapshots: snapshotHistory(session) };
  }
}

/** Posts a request's progress, at most every PROGRESS_INTERVAL_MS per file, always the first and last message. */
function progressFor(id: number): ProgressReporter {
  let lastFile = '';
  let lastPost = 0;
  return (file, loaded, total, cached) => {
    const now = performance.now();
    const edge = file !== lastFile || loaded === 0 || (total !== null && loaded >= total);
    if (!edge && now - lastPost < PROGRESS_INTERVAL_MS) return;
    lastFile = file;
    lastPost = now;
    post({ type: 'progress', id, file, loaded, total, ...(cached ? { cached } : {}) });
  };
}

function trainProgressFor(id: number): TrainProgressReporter {
  return throttledTrainProgress((progress) => post({ type: 'trainProgress', id, progress }), TRAIN_PROGRESS_INTERVAL_MS);
}

function snapshotsFor(id: number): SnapshotReporter {
  return (snapshot: MaskSnapshot) => post({ type: 'maskSnapshot', id, snapshot });
}

function post(message: WorkerMessage, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

self.onmessage = async (event: MessageEvent<Request>) => {
  const request = event.data;
  const id = typeof request?.id === 'number' ? request.id : -1;
  try {
    const reply = await handle(request);
    if (!reply) throw new Error(`Unknown request type ${JSON.stringify(request?.type)}`);
    post(reply, reply.type === 'exportAdapter' || reply.type === 'exportRun' ? [reply.bytes.buffer as ArrayBuffer] : []);
  } catch (error) {
    post(errorReply(id, error));
  }
};
