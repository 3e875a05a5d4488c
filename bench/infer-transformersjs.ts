/**
 * Our RoBERTa sequence-classification forward against transformers.js (@huggingface/transformers,
 * ONNX Runtime Web) on the same model, in one Chromium page, on transformers.js's `webgpu` and
 * `wasm` devices: batch 2 × 128 (--quick: 2 × 32), one warm-up each, then rounds in rotating
 * order, median of --runs; the logits of each device must match ours. Driven by Playwright; the
 * page may request nothing off the machine and log no console error.
 *
 *   node --import tsx tools/bench/make-bench-model.ts            # bench/models/roberta-wide-2l
 *   /usr/bin/python3 tools/bench/export_onnx.py bench/models/roberta-wide-2l
 *   npx vite build && node --import tsx bench/infer-transformersjs.ts [--quick|--full] [--runs N]
 *       [--model bench/models/NAME] [--isolated [--threads N]]
 *
 * --isolated serves the page cross-origin isolated (COOP/COEP headers), which ONNX Runtime's wasm
 * needs for threads; without it (what our static server gives) wasm runs on one thread. Isolated,
 * ONNX Runtime picks min(4, ceil(cores / 2)) threads (1 on a 2-core machine) unless --threads N
 * sets env.wasm.numThreads.
 * Prints a line per step to stderr and writes bench/results/infer-transformersjs-chromium.json
 * (…-chromium-isolated[-threadsN].json with those options, so they never overwrite the default's).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { launchChromium, serveStatic, watchedPage, type StaticServer } from '../e2e/browser';
import { parseBenchArgs } from './args';
import { benchPageReport } from './page-report';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

interface Args {
  quick: boolean;
  runs: number;
  model: string;
  isolated: boolean;
  threads?: number;
}

function parseArgs(argv: string[]): Args {
  const own = { model: join(here, 'models', 'roberta-wide-2l'), isolated: false, threads: undefined as number | undefined };
  const take = (arg: string, value: () => string) => {
    if (arg === '--isolated') own.isolated = true;
    else if (arg.startsWith('--threads')) {
      own.threads = Number(value());
      if (!Number.isInteger(own.threads) || own.threads < 1) throw new Error('--threads takes a positive integer');
    } else if (arg.startsWith('--model')) own.model = resolve(value());
    else return false;
    return true;
  };
  const args: Args = { ...parseBenchArgs(argv, process.env, { take, usage: '--model DIR, --isolated, --threads N' }), ...own };
  if (args.threads && args.threads > 1 && !args.isolated) throw new Error('--threads above 1 needs --isolated: ONNX Runtime runs one thread in a page that is not cross-origin isolated');
  return args;
}

/**
 * The built app (dist/) plus the model folder under /bench-models/NAME/, through symlinks in a
 * temporary folder: the 200 MB files are served where they lie, never copied into dist/.
 */
function serveRoot(model: string): { dir: string; modelPath: string; cleanup(): void } {
  const dist = join(root, 'dist');
  if (!existsSync(join(dist, 'bench', 'infer-transformersjs.html'))) throw new Error('dist/bench/infer-transformersjs.html is missing: run `npx vite build` first');
  for (const file of ['config.json', 'model.safetensors', 'transformersjs/config.json', 'transformersjs/onnx/model.onnx']) {
    if (!existsSync(join(model, file))) throw new Error(`${join(model, file)} is missing: make the model with tools/bench/make-bench-model.ts and export it with tools/bench/export_onnx.py (see this file's header)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'infer-tjs-'));
  for (const entry of readdirSync(dist)) symlinkSync(join(dist, entry), join(dir, entry));
  mkdirSync(join(dir, 'bench-models'));
  symlinkSync(model, join(dir, 'bench-models', basename(model)));
  return { dir, modelPath: `../bench-models/${basename(model)}/`, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A proxy in front of the static server that adds COOP/COEP to every response, so the page is
 * cross-origin isolated. A server, not a Playwright route: routes do not see the requests of
 * ONNX Runtime's thread workers (started from our worker), whose scripts need COEP as well.
 */
async function isolating(target: StaticServer): Promise<StaticServer> {
  const proxy = createServer((req, res) => {
    const forward = request(new URL(req.url ?? '/', target.url), { method: req.method, headers: req.headers }, (upstream) => {
      res.writeHead(upstream.statusCode ?? 502, { ...upstream.headers, 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
      upstream.pipe(res);
    });
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      await new Promise<void>((done) => proxy.close(() => done()));
      await target.close();
    },
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const [batch, seqLen] = args.quick ? [2, 32] : [2, 128];
  const served = serveRoot(args.model);
  const server = args.isolated ? await isolating(await serveStatic(served.dir)) : await serveStatic(served.dir);
  const browser = await launchChromium();
  try {
    const { page, watch } = await watchedPage(browser);
    page.on('console', (message) => {
      if (message.type() === 'log') console.error(`  ${message.text()}`);
    });
    console.error(`inference vs transformers.js in Chromium ${browser.version()}: ${basename(args.model)}, batch ${batch} × ${seqLen}, median of ${args.runs} runs${args.isolated ? ', cross-origin isolated' : ''}${args.threads ? `, ${args.threads} wasm threads asked` : ''}`);
    const query = new URLSearchParams({ model: served.modelPath, batch: String(batch), seq: String(seqLen), runs: String(args.runs) });
    if (args.threads) query.set('threads', String(args.threads));
    await page.goto(`${server.url}bench/infer-transformersjs.html?${query}`);
    const report = await benchPageReport<Record<string, unknown>>(page, watch, { timeoutMs: args.quick ? 900_000 : 3_600_000, onConsoleErrors: 'throw', checkOffsite: true });
    const { adapter, model, oursMs, webgpu, wasm, speedup, times } = report;
    const result = { browser: `chromium ${browser.version()}`, date: new Date().toISOString(), adapter, model, batch, seqLen, runs: args.runs, oursMs, webgpu, wasm, speedup, times };
    const json = JSON.stringify(result, null, 2);
    mkdirSync(join(here, 'results'), { recursive: true });
    const file = join(here, 'results', `infer-transformersjs-chromium${args.isolated ? '-isolated' : ''}${args.threads ? `-threads${args.threads}` : ''}.json`);
    writeFileSync(file, json + '\n');
    const w = webgpu as { ms: number; speedup: number };
    const m = wasm as { ms: number; speedup: number; threads: number };
    console.error(`ours ${(oursMs as number).toFixed(0)} ms; transformers.js webgpu ${w.ms.toFixed(0)} ms (speedup ${w.speedup.toFixed(2)}), wasm ${m.threads} thread(s) ${m.ms.toFixed(0)} ms (speedup ${m.speedup.toFixed(2)})`);
    console.error(`wrote ${file}`);
  } finally {
    await browser.close();
    await server.close();
    served.cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
