/**
 * Kernel benchmark in Chromium: the same measurements as bench/kernels.ts (bench/suite.ts),
 * run in the worker of the built benchmark page (bench/kernels.html?bench=quick|full&runs=N),
 * driven by Playwright.
 *   npx vite build && node --import tsx bench/kernels-browser.ts [--quick|--full] [--runs N]
 * Prints the report as JSON and writes it to bench/results/kernels-chromium.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, serveStatic, watchedPage } from '../e2e/browser';
import { parseBenchArgs } from './args';
import { benchPageReport } from './page-report';

const here = dirname(fileURLToPath(import.meta.url));

async function main(): Promise<void> {
  const { quick, runs } = parseBenchArgs(process.argv.slice(2));
  const server = await serveStatic(join(here, '..', 'dist'));
  const browser = await launchChromium();
  try {
    const { page, watch } = await watchedPage(browser);
    console.error(`kernel benchmark in Chromium ${browser.version()}: ${quick ? 'quick shapes' : 'roberta-base step shapes'}, median of ${runs} runs`);
    await page.goto(`${server.url}bench/kernels.html?bench=${quick ? 'quick' : 'full'}&runs=${runs}`);
    const report = await benchPageReport<object>(page, watch, { timeoutMs: quick ? 300_000 : 3_600_000, onConsoleErrors: 'log', checkOffsite: false });
    const json = JSON.stringify({ browser: `chromium ${browser.version()}`, ...report }, null, 2);
    mkdirSync(join(here, 'results'), { recursive: true });
    const file = join(here, 'results', 'kernels-chromium.json');
    writeFileSync(file, json + '\n');
    console.log(json);
    console.error(`wrote ${file}`);
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
