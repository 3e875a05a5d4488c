/**
 * The inference comparison's page (bench/infer-transformersjs.html?model=URL&export=NAME&batch=B&seq=T&runs=N[&threads=N],
 * part of the build): runs the comparison in its own worker (bench/infer-transformersjs.worker.ts)
 * and shows the report as JSON, where bench/infer-transformersjs.ts reads it.
 */
import type { InferBenchReply, InferBenchRequest } from './infer-transformersjs.worker';

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

const panel = document.querySelector<HTMLElement>('[data-testid="bench-panel"]')!;
const status = panel.querySelector<HTMLElement>('.status')!;
panel.dataset.status = 'running';
status.textContent = `Measuring batch ${request.batch} × ${request.seqLen}, median of ${request.runs}… (minutes on a CPU-only adapter)`;

const worker = new Worker(new URL('./infer-transformersjs.worker.ts', import.meta.url), { type: 'module' });
worker.addEventListener('message', (event: MessageEvent<InferBenchReply>) => {
  const reply = event.data;
  if (reply.type === 'done') {
    const json = document.createElement('pre');
    json.dataset.testid = 'bench-json';
    json.textContent = JSON.stringify(reply.report, null, 2);
    status.replaceWith(json);
  } else {
    status.textContent = `${reply.error.code}: ${reply.error.message}`;
  }
  panel.dataset.status = reply.type;
  worker.terminate();
});
worker.addEventListener('error', (event) => {
  status.textContent = `The benchmark worker failed: ${event.message || 'it could not be loaded'}`;
  panel.dataset.status = 'failed';
});
worker.postMessage(request);
