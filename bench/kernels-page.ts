/**
 * The browser kernel benchmark's page (bench/kernels.html?bench=quick|full&runs=N, part of the
 * build): runs the benchmark in its own worker and shows the report as JSON, where
 * bench/kernels-browser.ts reads it.
 */
import type { BenchWorkerReply, BenchWorkerRequest } from './kernels.worker';

const params = new URLSearchParams(location.search);
const request: BenchWorkerRequest = { quick: params.get('bench') !== 'full', runs: Number(params.get('runs')) || undefined };

const panel = document.querySelector<HTMLElement>('[data-testid="bench-panel"]')!;
const status = panel.querySelector<HTMLElement>('.status')!;
panel.querySelector('h2')!.textContent = `Kernel benchmark (${request.quick ? 'quick shapes' : 'roberta-base shapes'})`;
panel.dataset.status = 'running';
status.textContent = 'Measuring… (minutes on a CPU-only adapter)';

const worker = new Worker(new URL('./kernels.worker.ts', import.meta.url), { type: 'module' });
worker.addEventListener('message', (event: MessageEvent<BenchWorkerReply>) => {
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
