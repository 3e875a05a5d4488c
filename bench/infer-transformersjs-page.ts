/**
 * The inference comparison's page (bench/infer-transformersjs.html?model=URL&export=NAME&batch=B&seq=T&runs=N[&threads=N],
 * part of the build): runs the comparison in its own worker (bench/infer-transformersjs.worker.ts)
 * and shows the report as JSON, where bench/infer-transformersjs.ts reads it.
 */
import type { InferBenchRequest } from './infer-transformersjs.worker';
import { runInPanel } from './worker-panel';

const params = new URLSearchParams(location.search);
const positive = (key: string, fallback: number) => {
  const n = Number(params.get(key));
  return Number.isInteger(n) && n > 0 ? n : fallback;
};
const request: InferBenchRequest = {
  modelUrl: new URL(params.get('model') ?? '../bench-models/roberta-wide-2l/', location.href).href,
  exportName: params.get('export') ?? 'transformersjs',
  batch: positive('batch', 2),
  seqLen: positive('seq', 128),
  runs: positive('runs', 5),
  threads: positive('threads', 0) || undefined,
};

runInPanel(
  new Worker(new URL('./infer-transformersjs.worker.ts', import.meta.url), { type: 'module' }),
  request,
  `Measuring batch ${request.batch} × ${request.seqLen}, median of ${request.runs}… (minutes on a CPU-only adapter)`,
);
