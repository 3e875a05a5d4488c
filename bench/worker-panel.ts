/**
 * The browser benchmark pages that measure in a worker: post the request, then show the worker's
 * reply in the page's [data-testid=bench-panel] (the report as JSON in [data-testid=bench-json],
 * or the error), where the Node drivers read it (bench/page-report.ts).
 */
import type { ErrorData } from '../src/errors';

export type BenchReply<R> = { type: 'done'; report: R } | { type: 'failed'; error: ErrorData };

export function runInPanel<R>(worker: Worker, request: unknown, measuring: string): void {
  const panel = document.querySelector<HTMLElement>('[data-testid="bench-panel"]')!;
  const status = panel.querySelector<HTMLElement>('.status')!;
  panel.dataset.status = 'running';
  status.textContent = measuring;
  worker.addEventListener('message', (event: MessageEvent<BenchReply<R>>) => {
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
}
