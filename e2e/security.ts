/**
 * The page's security, in the built app: its Content-Security-Policy (tools/csp/policy.ts) is in
 * dist/index.html and in force; a request to any other origin is refused, from the page and from
 * the engine worker, and reported as a violation; the Hub and its download CDN are let through (a
 * stand-in for huggingface.co served by Playwright, as in hub.ts); the app's bundles hold no eval,
 * new Function or string timers; and a Hub access token, used for a load, a short training run
 * and both exports, is then found nowhere: not in IndexedDB, local or session storage, the Cache
 * Storage, the URL, the console or the exported zips.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Browser, Page, Route, Worker } from 'playwright-core';
import { contentSecurityPolicy, HUB_DOWNLOAD_HOSTS } from '../tools/csp/policy';
import { watchedPage, type PageWatch } from './browser';
import { assert, assertClean, waitForStatus, TIMEOUT_MS, type TestCase } from './harness';
import { waitForDataReady } from './tiny-run';
import { CORS, fulfillFrom, hubRequest, tinyRepo } from './hub';

interface SecurityContext {
  root: string;
  serverUrl: () => string;
  browser: () => Browser;
}

/** What a probe saw: whether the fetch went through, and the violations reported meanwhile. */
interface Probe {
  ok: boolean;
  body: string | null;
  error: string | null;
  violations: { blockedURI: string; directive: string }[];
}

/**
 * Fetches `url` where it runs (the page or the worker) and collects the CSP violations reported
 * meanwhile. A string, so the bundler adds nothing to it; `url` comes in as the argument.
 */
const PROBE = `async (url) => {
  const violations = [];
  const listener = (e) => violations.push({ blockedURI: e.blockedURI, directive: e.effectiveDirective });
  self.addEventListener('securitypolicyviolation', listener);
  let result;
  try {
    const response = await fetch(url);
    result = { ok: response.ok, body: await response.text(), error: null };
  } catch (e) {
    result = { ok: false, body: null, error: String(e) };
  }
  await new Promise((resolve) => setTimeout(resolve, 200)); // the event is queued as a task
  self.removeEventListener('securitypolicyviolation', listener);
  return { ...result, violations };
}`;

async function probe(where: Page | Worker, url: string): Promise<Probe> {
  const expression = `(${PROBE})(${JSON.stringify(url)})`;
  return (await ('workers' in where ? where.evaluate(expression) : where.evaluate(expression))) as Probe;
}

/** The engine worker (a blob: bootstrap, see src/ui/engine-worker.ts) once it has started. */
async function engineWorker(page: Page): Promise<Worker> {
  for (const deadline = Date.now() + TIMEOUT_MS; Date.now() < deadline; await page.waitForTimeout(100)) {
    const worker = page.workers()[0];
    if (worker) return worker;
  }
  throw new Error('the engine worker never started');
}

/** A server on another port of this machine: another origin, which the policy must refuse. */
async function otherOrigin(): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = createServer((_, res) => {
    hits++;
    res.writeHead(200, { 'access-control-allow-origin': '*', 'content-type': 'text/plain' }).end('reached');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/exfiltrate`,
    hits: () => hits,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** The files the built app loads: index.html's scripts and what they import or start, transitively. */
function appBundles(dist: string): Map<string, string> {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const assets = join(dist, 'assets');
  const named = (text: string) => [...text.matchAll(/[\w.-]+\.m?js\b/g)].map((m) => m[0]);
  const files = new Map<string, string>();
  const queue = [...html.matchAll(/(?:src|href)="\.\/assets\/([\w.-]+\.m?js)"/g)].map((m) => m[1]);
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (files.has(name)) continue;
    let text: string;
    try {
      text = readFileSync(join(assets, name), 'utf8');
    } catch {
      continue; // a name in a string that is not one of our files
    }
    files.set(name, text);
    queue.push(...named(text));
  }
  return files;
}

/** Code from strings: eval, the Function constructor, setTimeout/setInterval given a string. */
const CODE_FROM_STRINGS = [
  { what: 'eval', pattern: /(?<![\w$.])eval\s*\(/g },
  { what: 'new Function', pattern: /\bnew\s+Function\s*\(/g },
  { what: 'Function()', pattern: /(?<![\w$.])Function\s*\(/g },
  { what: 'a string timer', pattern: /\bset(?:Timeout|Interval)\s*\(\s*["'`]/g },
];

/** Everything the origin keeps, binary values as Latin-1 text: IndexedDB, local and session storage, Cache Storage (keys, headers, bodies), cookies. */
const EVERYTHING_STORED = `(async () => {
  const latin1 = (bytes) => { let s = ''; for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192)); return s; };
  const flat = async (v) => {
    if (v instanceof Blob) return latin1(new Uint8Array(await v.arrayBuffer()));
    if (v instanceof ArrayBuffer) return latin1(new Uint8Array(v));
    if (ArrayBuffer.isView(v)) return latin1(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    if (v instanceof Map) return flat([...v.entries()]);
    if (v instanceof Set) return flat([...v]);
    if (Array.isArray(v)) return Promise.all(v.map(flat));
    if (v && typeof v === 'object') return Object.fromEntries(await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await flat(x)])));
    return v;
  };
  const done = (request) => new Promise((resolve, reject) => { request.onsuccess = () => resolve(request.result); request.onerror = () => reject(request.error); });
  const out = { localStorage: JSON.stringify(localStorage), sessionStorage: JSON.stringify(sessionStorage), cookie: document.cookie, indexedDB: {}, caches: {} };
  for (const { name } of await indexedDB.databases()) {
    const db = await done(indexedDB.open(name));
    for (const store of db.objectStoreNames) {
      const tx = db.transaction(store);
      const [keys, values] = await Promise.all([done(tx.objectStore(store).getAllKeys()), done(tx.objectStore(store).getAll())]);
      out.indexedDB[name + '/' + store] = JSON.stringify(await flat({ keys, values }));
    }
    db.close();
  }
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      out.caches[name + ' ' + request.url] = JSON.stringify([...response.headers]) + latin1(new Uint8Array(await response.arrayBuffer()));
    }
  }
  return out;
})()`;

interface Stored {
  localStorage: string;
  sessionStorage: string;
  cookie: string;
  indexedDB: Record<string, string>;
  caches: Record<string, string>;
}

export function securityTests({ root, serverUrl, browser }: SecurityContext): TestCase[] {
  const dist = join(root, 'dist');
  let page: Page | null = null;
  let watch: PageWatch;
  const closePage = async () => {
    await page?.context().close();
    page = null;
  };
  /** A page of its own: its storage starts empty, so everything found in it comes from this file's run. */
  const openPage = async (): Promise<Page> => {
    if (page) return page;
    ({ page, watch } = await watchedPage(browser()));
    await page.goto(serverUrl());
    assert((await waitForStatus(page.getByTestId('gpu-panel'), ['done', 'failed'])) === 'done', 'no WebGPU adapter');
    return page;
  };

  return [
    {
      name: 'the built page carries its Content-Security-Policy in a <meta>, ahead of every script; its bundles build no code from strings',
      run: async () => {
        const html = readFileSync(join(dist, 'index.html'), 'utf8');
        const head = html.slice(html.indexOf('<head>'), html.indexOf('</head>'));
        const meta = head.indexOf('http-equiv="Content-Security-Policy"');
        assert(meta >= 0, 'dist/index.html has no Content-Security-Policy <meta>: is tools/csp/vite-plugin.ts in vite.config.ts?');
        assert(!/<(script|link|style)\b/.test(head.slice(0, meta)), 'a script, link or style comes before the policy in dist/index.html');
        for (const bench of ['kernels', 'matmul-tfjs', 'infer-transformersjs']) {
          assert(!readFileSync(join(dist, 'bench', `${bench}.html`), 'utf8').includes('Content-Security-Policy'), `bench/${bench}.html got the app's policy`);
        }
        const page = await openPage();
        const served = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
        assert(served === contentSecurityPolicy(), `the page's policy is not tools/csp/policy.ts's:\n  ${served}\n  ${contentSecurityPolicy()}`);
        assert(!/unsafe-eval|unsafe-inline|\*(?!\.)/.test(served), `the policy allows eval, inline code or any host: ${served}`);
        console.log(`    ${served.split('; ').length} directives; connect-src: ${served.match(/connect-src ([^;]*)/)?.[1]}`);

        const bundles = appBundles(dist);
        const names = [...bundles.keys()];
        assert(names.some((n) => n.startsWith('app-')) && names.some((n) => n.startsWith('engine.worker-')), `the app's bundles were not all found: ${names.join(', ')}`);
        assert(!names.some((n) => n.startsWith('bench-') || n.includes('ort-wasm')), `a benchmark bundle was taken for the app's: ${names.join(', ')}`);
        const found: string[] = [];
        for (const [name, text] of bundles) {
          for (const { what, pattern } of CODE_FROM_STRINGS) {
            for (const m of text.matchAll(pattern)) found.push(`${what} in ${name}: …${text.slice(Math.max(0, m.index - 60), m.index + 60)}…`);
          }
        }
        console.log(`    scanned ${names.join(', ')} (${[...bundles.values()].reduce((n, t) => n + t.length, 0)} characters)`);
        assert(found.length === 0, `code built from strings:\n  ${found.join('\n  ')}`);
        assertClean(watch);
      },
    },
    {
      name: 'a request to another origin is refused by the policy and reported, from the page and from the engine worker',
      run: async () => {
        const page = await openPage();
        const worker = await engineWorker(page);
        assert(worker.url().startsWith('blob:'), `the engine worker was not started from a blob: (${worker.url()}), so the page's policy does not bind it`);
        const other = await otherOrigin();
        try {
          for (const [where, scope] of [
            ['page', page],
            ['worker', worker],
          ] as const) {
            for (const url of [other.url, 'https://example.com/exfiltrate']) {
              const seen = await probe(scope, url);
              console.log(`    ${where} → ${url}: ${seen.error ?? 'fetched'}; violation ${JSON.stringify(seen.violations)}`);
              assert(!seen.ok && seen.body === null, `the ${where} fetched ${url}: ${seen.body}`);
              assert(
                seen.violations.some((v) => v.directive === 'connect-src' && url.startsWith(v.blockedURI.replace(/\/$/, ''))),
                `the ${where}'s fetch of ${url} failed without a connect-src violation: ${JSON.stringify(seen.violations)}`,
              );
            }
          }
          assert(other.hits() === 0, `${other.url} received ${other.hits()} requests`);
        } finally {
          await other.close();
        }
        // Chromium also logs each refusal as a console error: expected here, and only these.
        const refusals = watch.consoleErrors.splice(0);
        assert(refusals.length > 0 && refusals.every((e) => /Content Security Policy/.test(e)), `unexpected console errors: ${refusals.join('\n  ')}`);
        assertClean(watch);
      },
    },
    {
      name: 'the Hub and its download CDN are let through, from the page and from the engine worker; a redirect elsewhere is refused',
      run: async () => {
        const page = await openPage();
        const worker = await engineWorker(page);
        const probeRepo = 'https://huggingface.co/light-peft-test/csp-probe/resolve/main/';
        const cdn = 'https://us.aws.cdn.hf.co/xet-bridge-us/csp-probe';
        assert(HUB_DOWNLOAD_HOSTS.includes('https://*.cdn.hf.co'), 'the probe CDN host is no longer in the policy');
        const other = await otherOrigin();
        const served: string[] = [];
        const hub = async (route: Route) => {
          const url = route.request().url();
          served.push(url);
          // As the Hub answers for an LFS or Xet file: a redirect to a signed URL, here on a host the policy refuses.
          if (url.endsWith('/moved.safetensors')) return route.fulfill({ status: 302, headers: { ...CORS, location: other.url } });
          return route.fulfill({ status: 200, headers: { ...CORS, 'content-type': 'application/json' }, body: '{"probe":"hub"}' });
        };
        const fromCdn = async (route: Route) => {
          served.push(route.request().url());
          return route.fulfill({ status: 200, headers: { ...CORS, 'content-type': 'application/octet-stream' }, body: 'weights' });
        };
        await page.route(`${probeRepo}**`, hub);
        await page.route(`${cdn}**`, fromCdn);
        try {
          for (const [where, scope] of [
            ['page', page],
            ['worker', worker],
          ] as const) {
            // Playwright serves only the first URL of a redirect chain, so the Hub and the CDN are each asked directly.
            for (const [url, body] of [
              [`${probeRepo}config.json`, '{"probe":"hub"}'],
              [`${cdn}?X-Amz-Signature=probe`, 'weights'],
            ]) {
              const seen = await probe(scope, url);
              console.log(`    ${where} → ${new URL(url).host}: ${seen.ok ? `fetched ${seen.body}` : seen.error}`);
              assert(seen.ok && seen.body === body && seen.violations.length === 0, `the ${where} could not fetch ${url}: ${JSON.stringify(seen)}`);
            }
            // Every hop of a redirect is checked: the Hub cannot send a download anywhere else. (The
            // violation names the URL before the redirect: CSP hides where a cross-origin redirect led.)
            const moved = await probe(scope, `${probeRepo}moved.safetensors`);
            console.log(`    ${where} → a Hub redirect to another origin: ${moved.error}; violation ${JSON.stringify(moved.violations)}`);
            assert(!moved.ok && moved.violations.some((v) => v.directive === 'connect-src'), `the ${where} followed a Hub redirect to ${other.url}: ${JSON.stringify(moved)}`);
          }
          assert(served.length === 6, `unexpected requests: ${served.join(', ')}`);
          assert(other.hits() === 0, `the redirect reached ${other.url} (${other.hits()} requests)`);
        } finally {
          await other.close();
          await page.unroute(`${probeRepo}**`, hub);
          await page.unroute(`${cdn}**`, fromCdn);
        }
        const offsite = watch.offsiteRequests.splice(0);
        assert(offsite.every((u) => u.startsWith(probeRepo) || u.startsWith(cdn)), `requests to other places: ${offsite.join(', ')}`);
        const refusals = watch.consoleErrors.splice(0);
        // Chromium logs each refused redirect (naming where it led): expected here, and only these.
        assert(refusals.every((e) => /Content Security Policy/.test(e) && (e.includes('moved.safetensors') || e.includes('/exfiltrate'))), `unexpected console errors: ${refusals.join('\n  ')}`);
        assertClean(watch);
      },
    },
    {
      name: 'a Hub access token used to load, train and export is found nowhere: storage, caches, URL, console, exports',
      run: async () => {
        try {
          await tokenFoundNowhere(await openPage());
        } finally {
          await closePage(); // the last test here: its GPU device and storage go
        }
      },
    },
  ];

  async function tokenFoundNowhere(page: Page): Promise<void> {
    const token = `hf_TESTSECRET${Date.now().toString(36)}x`;
    const modelId = 'light-peft-test/secret-roberta';
    const repo = tinyRepo(root);
    const authorizations: (string | null)[] = [];
    const serve = async (route: Route) => {
      const authorization = route.request().headers()['authorization'] ?? null;
      authorizations.push(authorization);
      if (authorization !== `Bearer ${token}`) return route.fulfill({ status: 401, headers: { ...CORS, 'x-error-code': 'GatedRepo' }, body: 'Access to model is restricted' });
      return fulfillFrom(route, repo, hubRequest(route.request().url()).file);
    };
    const pattern = `https://huggingface.co/${modelId}/resolve/**`;
    const consoleLog: string[] = [];
    page.on('console', (message) => consoleLog.push(message.text()));
    await page.route(pattern, serve);
    const exported: { name: string; bytes: Uint8Array }[] = [];
    try {
      if (!(await page.getByTestId('model-panel').isVisible())) await page.getByTestId('own-setup-toggle').click();
      await page.getByTestId('hub-id').fill(modelId);
      await page.locator('.hub-token summary').click();
      // Pasted with something after it: refused before any request, by a message that does not repeat it (src/engine/io/hub-token.ts).
      await page.getByTestId('hub-token').fill(`${token} ${token}`);
      await page.getByTestId('hub-load').click();
      await page.getByTestId('model-problem').waitFor({ timeout: TIMEOUT_MS });
      const refusal = await page.getByTestId('model-problem').innerText();
      console.log(`    a malformed token: ${refusal.split('\n').find((line) => line.includes('access token'))}`);
      assert(/access token.*contains a space/.test(refusal) && authorizations.length === 0, `a malformed token was not refused before any request: ${refusal}`);
      await page.getByTestId('hub-token').fill(token);
      await page.getByTestId('hub-load').click();
      await page.waitForFunction((name) => document.querySelector('[data-testid="model-summary"] strong')?.textContent === name, modelId, { timeout: TIMEOUT_MS });
      assert(authorizations.length > 0 && authorizations.every((a) => a === `Bearer ${token}`), `the Hub was not asked with the token: ${JSON.stringify(authorizations)}`);

      await page.getByTestId('data-demo').click();
      await waitForDataReady(page);
      await page.getByTestId('train-method-lora').check();
      const fields = { 'train-steps': '4', 'train-batch-size': '4', 'train-max-length': '32', 'train-checkpoint-every': '2', 'train-eval-every': '4', 'train-seed': '3' };
      for (const [testId, value] of Object.entries(fields)) await page.getByTestId(testId).fill(value);
      await page.getByTestId('train-start').click();
      assert((await waitForStatus(page.getByTestId('train-panel'), ['done', 'failed'], 180_000)) === 'done', `the run failed: ${await page.getByTestId('train-panel').innerText()}`);
      await page.getByTestId('train-outcome').and(page.locator('[data-status="finished"]')).waitFor({ timeout: TIMEOUT_MS });

      for (const button of ['export-run', 'export-adapter']) {
        const [download] = await Promise.all([page.waitForEvent('download', { timeout: TIMEOUT_MS }), page.getByTestId(button).click()]);
        const bytes = new Uint8Array(readFileSync(await download.path()));
        exported.push({ name: download.suggestedFilename(), bytes });
        for (const [name, file] of Object.entries(unzipSync(bytes))) exported.push({ name: `${download.suggestedFilename()}/${name}`, bytes: file });
      }
    } finally {
      await page.getByTestId('hub-token').fill('');
      await page.unroute(pattern, serve);
    }

    const stored = (await page.evaluate(EVERYTHING_STORED)) as Stored;
    const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
    const places: [string, string][] = [
      ['localStorage', stored.localStorage],
      ['sessionStorage', stored.sessionStorage],
      ['cookies', stored.cookie],
      ...Object.entries(stored.indexedDB).map(([store, text]): [string, string] => [`IndexedDB ${store}`, `${store}\n${text}`]),
      ...Object.entries(stored.caches).map(([key, text]): [string, string] => [`Cache Storage ${key}`, `${key}\n${text}`]),
      ['the URL', decodeURIComponent(page.url())],
      ['the page text', await page.locator('body').innerText()],
      ['the console', consoleLog.join('\n')],
      ...exported.map(({ name, bytes }): [string, string] => [`the export ${name}`, `${name}\n${latin1(bytes)}`]),
    ];
    // The search looks where the run went: the saved run, the cached model and the exports name the model.
    const naming = (prefix: string) => places.some(([where, text]) => where.startsWith(prefix) && text.includes(modelId));
    for (const prefix of ['IndexedDB', 'Cache Storage', 'the export', 'the URL']) assert(naming(prefix), `nothing under ${prefix} names ${modelId}: the search would miss a leak there`);
    const leaks = places.filter(([, text]) => text.includes(token) || text.includes(token.slice(3)));
    console.log(`    searched ${places.length} places (${places.reduce((n, [, t]) => n + t.length, 0)} characters): ${Object.keys(stored.indexedDB).join(', ')}; ${Object.keys(stored.caches).length} cached files; ${exported.length} exported files and zips`);
    assert(leaks.length === 0, `the access token was found in ${leaks.map(([where]) => where).join(', ')}`);
    const offsite = watch.offsiteRequests.splice(0);
    assert(offsite.every((u) => u.startsWith(`https://huggingface.co/${modelId}/resolve/main/`)), `requests to other places: ${offsite.join(', ')}`);
    assertClean(watch);
  }
}
