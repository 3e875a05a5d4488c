/**
 * Kernel benchmark in Node (the `webgpu` package; SwiftShader on CPU-only machines).
 *   npm run bench:kernels                 roberta-base step shapes (slow without a GPU)
 *   npm run bench:kernels -- --quick      ¼ of every dimension (the default when CI is set)
 *   options: --shapes small|full, --runs N
 * Prints the report as JSON and writes it to bench/results/kernels-node.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GpuContext } from '../src/gpu/context';
import { acquireNodeGpu } from '../src/platform/node/gpu';
import { parseBenchArgs } from './args';
import { runKernelBench } from './suite';

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');

async function main(): Promise<void> {
  const { quick, runs } = parseBenchArgs(process.argv.slice(2));
  const ctx = new GpuContext(await acquireNodeGpu());
  console.error(`kernel benchmark in Node: ${quick ? 'quick shapes (¼ of roberta-base)' : 'roberta-base step shapes'}, median of ${runs} runs`);
  const report = await runKernelBench(ctx, { quick, runs, runtime: 'node', log: (line) => console.error(line) });
  const json = JSON.stringify(report, null, 2);
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, 'kernels-node.json');
  writeFileSync(file, json + '\n');
  console.log(json);
  console.error(`wrote ${file}`);
  ctx.destroy();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
