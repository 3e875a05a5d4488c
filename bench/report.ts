/**
 * The last part of `npm run bench`: gathers what the benchmarks wrote under bench/results/
 * (lightpeft-node.json, lightpeft-node-roberta-base.json, matmul-tfjs-chromium.json, infer-transformersjs-chromium.json,
 * torch-step.json) and the demo accuracy record bench/demo-accuracy.json (committed: a CLI run of
 * tools/demo/compare-methods.sh per ratio set), then writes bench/results.json and
 * bench/RESULTS.md (both committed) with the machine, the date and the headline ratios.
 *   node --import tsx bench/report.ts
 * A part whose file is missing keeps its figures from the committed bench/results.json when those
 * were measured on this kind of machine (listed under "kept", with their date); otherwise it is
 * listed under "missing" rather than guessed.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type as osType } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireNodeGpu } from '../src/platform/node/gpu';
import { benchResults, resultsMarkdown, targetChecks, type BenchInputs, type EarlierResults } from './results-summary';

const bench = dirname(fileURLToPath(import.meta.url));

function readJson<T>(path: string): T | null {
  if (!existsSync(path)) return null;
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

async function main(): Promise<void> {
  const results = (name: string) => join(bench, 'results', name);
  const inputs: BenchInputs = {
    machine: {
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      os: `${osType()} ${release()}`,
      node: process.version,
    },
    lightPeft: readJson(results('lightpeft-node.json')),
    lightPeftRobertaBase: readJson(results('lightpeft-node-roberta-base.json')),
    demoAccuracy: readJson(join(bench, 'demo-accuracy.json')),
    matmulTfjs: readJson(results('matmul-tfjs-chromium.json')),
    inferTransformersJs: readJson(results('infer-transformersjs-chromium.json')),
    torchStep: readJson(results('torch-step.json')),
  };
  const gpu = await acquireNodeGpu();
  const { vendor, architecture, description } = gpu.adapterInfo;
  const adapter: Record<string, unknown> = {
    node: { vendor, architecture, description, fallback: gpu.isFallbackAdapter, features: [...gpu.features].sort() },
  };
  // What the committed results hold: a benchmark not rerun this time keeps its figures (benchResults).
  const earlier = readJson<EarlierResults & { adapter?: { chromium?: unknown } }>(join(bench, 'results.json'));
  const summary = benchResults(inputs, new Date().toISOString(), adapter, earlier);
  if (inputs.matmulTfjs) summary.adapter.chromium = inputs.matmulTfjs.adapter;
  else if (summary.kept.some((k) => k.part === 'matmul_vs_tfjs')) summary.adapter.chromium = earlier?.adapter?.chromium;
  gpu.device.destroy();

  writeFileSync(join(bench, 'results.json'), JSON.stringify(summary, null, 2) + '\n');
  writeFileSync(join(bench, 'RESULTS.md'), resultsMarkdown(summary) + '\n');
  for (const t of targetChecks(summary)) console.error(`${t.met === null ? '?' : t.met ? '✓' : '✗'} ${t.target}: ${t.measured}`);
  for (const k of summary.kept) console.error(`kept from ${k.date.slice(0, 10)}: ${k.part} (its report is not in bench/results/)`);
  if (summary.missing.length) console.error(`not measured: ${summary.missing.join(', ')}`);
  console.error(`wrote ${join(bench, 'results.json')} and ${join(bench, 'RESULTS.md')}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
