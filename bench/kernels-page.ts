/**
 * The browser kernel benchmark's page (bench/kernels.html?bench=quick|full&runs=N, part of the
 * build): runs the benchmark in its own worker and shows the report as JSON, where
 * bench/kernels-browser.ts reads it.
 */
import type { BenchWorkerRequest } from './kernels.worker';
import { runInPanel } from './worker-panel';

const params = new URLSearchParams(location.search);
const request: BenchWorkerRequest = { quick: params.get('bench') !== 'full', runs: Number(params.get('runs')) || undefined };

document.querySelector('[data-testid="bench-panel"] h2')!.textContent = `Kernel benchmark (${request.quick ? 'quick shapes' : 'roberta-base shapes'})`;
runInPanel(new Worker(new URL('./kernels.worker.ts', import.meta.url), { type: 'module' }), request, 'Measuring… (minutes on a CPU-only adapter)');
