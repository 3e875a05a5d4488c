/**
 * Our matmul against @tensorflow/tfjs-backend-webgpu's `tf.matMul` in Chromium (issue 11's
 * `matmul_vs_tfjs`): the built page bench/matmul-tfjs.html (bench/matmul-tfjs-page.ts says what is
 * timed and how) runs both on the same shapes and inputs, in the NN layout (C = A·B, backward's
 * input gradients) and the NT layout (C = A·Bᵀ with B stored [N,K], the linear layer's forward),
 * alternated, median of N runs each, and checks the two outputs agree.
 *   npx vite build && node --import tsx bench/matmul-tfjs.ts [--quick|--full] [--runs N]
 * (quick: every dimension at ¼; full roberta-base shapes take minutes on SwiftShader.)
 * Prints a line per shape × layout to stderr, the report as JSON to stdout, and writes it to
 * bench/results/matmul-tfjs-chromium.json. Fails on a console error or an off-machine request.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, serveStatic, watchedPage } from '../e2e/browser';
import { parseBenchArgs } from './args';
import { benchPageReport } from './page-report';
import type { MatmulTfjsReport } from './matmul-tfjs-page';

const here = dirname(fileURLToPath(import.meta.url));
/** The page's progress lines carry this prefix (LOG_PREFIX in bench/matmul-tfjs-page.ts). */
const LOG_PREFIX = '[matmul-tfjs] ';

async function main(): Promise<void> {
  const { quick, runs } = parseBenchArgs(process.argv.slice(2));
  const server = await serveStatic(join(here, '..', 'dist'));
  const browser = await launchChromium();
  try {
    const { page, watch } = await watchedPage(browser);
    page.on('console', (message) => {
      if (message.text().startsWith(LOG_PREFIX)) console.error(message.text().slice(LOG_PREFIX.length));
    });
    console.error(
      `matmul vs tfjs-backend-webgpu in Chromium ${browser.version()}: ${quick ? 'quick (¼) shapes' : 'roberta-base step shapes'}, median of ${runs} runs`,
    );
    await page.goto(`${server.url}bench/matmul-tfjs.html?bench=${quick ? 'quick' : 'full'}&runs=${runs}`);
    const report = await benchPageReport<MatmulTfjsReport>(page, watch, { timeoutMs: quick ? 600_000 : 3_600_000, onConsoleErrors: 'throw', checkOffsite: true });
    const json = JSON.stringify({ browser: `chromium ${browser.version()}`, ...report }, null, 2);
    mkdirSync(join(here, 'results'), { recursive: true });
    const file = join(here, 'results', 'matmul-tfjs-chromium.json');
    writeFileSync(file, json + '\n');
    console.log(json);
    const { min, max } = report.speedup;
    console.error(`adapter: ${report.adapter.vendor} / ${report.adapter.architecture} / ${report.adapter.description}`);
    console.error(`speedup (tfjs time / ours): ${min.toFixed(2)}–${max.toFixed(2)}×`);
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
