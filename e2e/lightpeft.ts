/**
 * Light-PEFT in the browser, as a person uses it: one click starts the demo (the demo model and
 * data load, a Light-PEFT run estimates) and the head heatmap changes between two snapshots;
 * pausing it, a ratio slider changes the predicted parameters and the marked cells; a plan is
 * evaluated and swept; Prune now prunes exactly the marked heads and FFN dimensions (the page shows
 * the shapes, the exported pruning.json lists them); the run finishes; the results show before
 * and after; Try it classifies a text; a LoRA baseline is compared with the run; the page's URL
 * reopens the same settings. Screenshots: test-results/lightpeft-live.png, masks.png, explorer.png,
 * results.png, lightpeft-link.png (whole pages), lightpeft-run.png, masks-panel.png, explorer-panel.png,
 * results-panel.png (the panels alone).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { watchedPage, type PageWatch } from './browser';
import { assert, assertClean, TIMEOUT_MS, type TestCase } from './harness';

interface LightPeftContext {
  root: string;
  serverUrl: () => string;
  browser: () => Browser;
  page: () => Page;
  watch: () => PageWatch;
}

/** The demo's estimation (24 steps at ~1.5 s on SwiftShader) and its evaluations take minutes on a CPU. */
const RUN_TIMEOUT_MS = 8 * 60_000;

const json = async <T>(page: Page, testId: string, attribute: string): Promise<T> => JSON.parse((await page.getByTestId(testId).getAttribute(attribute)) ?? 'null') as T;
const numberAt = async (page: Page, testId: string, attribute: string) => Number(await page.getByTestId(testId).getAttribute(attribute));

export function lightPeftTests({ root, serverUrl, browser, page: getPage, watch: getWatch }: LightPeftContext): TestCase[] {
  const shot = (page: Page, name: string) => page.screenshot({ path: join(root, 'test-results', name), fullPage: true });
  /** What the explorer marked when the person pressed Prune now. */
  let marked: { heads: [number, number][]; ffn: number[][] } | null = null;
  let runUrl = '';

  return [
    {
      name: 'the one-click demo starts a Light-PEFT run, and the head heatmap changes between two snapshots',
      run: async () => {
        const page = getPage();
        await page.goto(serverUrl());
        await page.getByTestId('demo-start').click();
        const phase = page.getByTestId('phase-indicator');
        await phase.and(page.locator('[data-stage="estimating"]')).waitFor({ timeout: RUN_TIMEOUT_MS });
        const heatmap = page.getByTestId('head-heatmap');
        const stepAfter = async (step: number) => {
          await page.waitForFunction((s) => Number(document.querySelector('[data-testid="head-heatmap"]')?.getAttribute('data-step')) > s, step, { timeout: RUN_TIMEOUT_MS });
          return { step: Number(await heatmap.getAttribute('data-step')), values: await heatmap.getAttribute('data-values') };
        };
        const first = await stepAfter(0);
        const second = await stepAfter(first.step);
        console.log(`    snapshots at steps ${first.step} and ${second.step}`);
        assert(first.values !== second.values, `the head masks did not change between steps ${first.step} and ${second.step}`);
        await page.getByTestId('train-pause').click();
        await phase.and(page.locator('[data-paused="true"]')).waitFor({ timeout: RUN_TIMEOUT_MS });
        assert((await phase.getAttribute('data-stage')) === 'estimating', 'the run left estimation before the pause took');
        runUrl = page.url();
        await shot(page, 'lightpeft-live.png');
        await page.getByTestId('train-live').screenshot({ path: join(root, 'test-results', 'lightpeft-run.png') });
        assertClean(getWatch());
      },
    },
    {
      name: 'a ratio slider re-plans at once; a plan is evaluated and swept; Prune now prunes exactly the marked heads and FFN dimensions',
      run: async () => {
        const page = getPage();
        const baseBefore = await numberAt(page, 'predicted-base-params', 'data-value');
        const cellsBefore = await json<[number, number][]>(page, 'head-heatmap', 'data-pruned-cells');
        await page.getByTestId('ratio-head').fill('0.75');
        await page.waitForFunction((n) => Number(document.querySelector('[data-testid="predicted-base-params"]')?.getAttribute('data-value')) !== n, baseBefore, { timeout: TIMEOUT_MS });
        const baseAfter = await numberAt(page, 'predicted-base-params', 'data-value');
        const cellsAfter = await json<[number, number][]>(page, 'head-heatmap', 'data-pruned-cells');
        console.log(`    heads 1/3 → 3/4: predicted base parameters ${baseBefore} → ${baseAfter}; marked heads ${cellsBefore.length} → ${cellsAfter.length}`);
        assert(baseAfter < baseBefore, 'removing more heads did not lower the predicted base parameters');
        assert(cellsAfter.length > cellsBefore.length, 'removing more heads did not mark more cells');

        await page.getByTestId('evaluate-plan').click();
        const evaluation = page.getByTestId('plan-evaluation');
        await evaluation.waitFor({ timeout: RUN_TIMEOUT_MS });
        const accuracy = Number(await evaluation.getAttribute('data-accuracy'));
        assert(accuracy >= 0 && accuracy <= 1, `evaluate gave accuracy ${accuracy}`);
        await page.getByTestId('sweep-run').click();
        await page.locator('[data-testid="sweep-chart"][data-points="4"]').waitFor({ timeout: RUN_TIMEOUT_MS });
        await page.getByTestId('sweep-run').and(page.locator(':enabled')).waitFor({ timeout: RUN_TIMEOUT_MS });

        await page.getByTestId('ratio-head').fill('0.5');
        await page.waitForFunction((n) => JSON.parse(document.querySelector('[data-testid="head-heatmap"]')?.getAttribute('data-pruned-cells') ?? '[]').length !== n, cellsAfter.length, { timeout: TIMEOUT_MS });
        marked = { heads: await json(page, 'head-heatmap', 'data-pruned-cells'), ffn: await json(page, 'ffn-strips', 'data-pruned-dims') };
        await shot(page, 'masks.png');
        // The panels alone, readable at their own size (the README shows the masks panel).
        await page.getByTestId('masks-panel').screenshot({ path: join(root, 'test-results', 'masks-panel.png') });
        await page.getByTestId('explorer-panel').screenshot({ path: join(root, 'test-results', 'explorer-panel.png') });
        await page.getByTestId('prune-now').click();
        const shapes = page.getByTestId('pruned-shapes');
        await shapes.waitFor({ timeout: RUN_TIMEOUT_MS });
        const heads = await json<number[]>(page, 'pruned-shapes', 'data-heads');
        const ffn = await json<number[]>(page, 'pruned-shapes', 'data-ffn');
        const layers = heads.length;
        const headsPerLayer = 4;
        const ffnWidth = 1024;
        for (let layer = 0; layer < layers; layer++) {
          const markedHeads = marked.heads.filter(([l]) => l === layer).length;
          assert(heads[layer] === headsPerLayer - markedHeads, `layer ${layer} kept ${heads[layer]} heads, the page marked ${markedHeads} of ${headsPerLayer}`);
          assert(ffn[layer] === ffnWidth - marked.ffn[layer].length, `layer ${layer} kept ${ffn[layer]} FFN dimensions, the page marked ${marked.ffn[layer].length}`);
        }
        console.log(`    pruned to heads ${heads.join(',')} and FFN ${ffn.join(',')}`);
        await shot(page, 'explorer.png');
        await page.getByTestId('train-continue').click();
        await page.getByTestId('phase-indicator').and(page.locator('[data-stage="done"]')).waitFor({ timeout: RUN_TIMEOUT_MS });
        await page.getByTestId('train-outcome').and(page.locator('[data-status="finished"]')).waitFor({ timeout: RUN_TIMEOUT_MS });
        assertClean(getWatch());
      },
    },
    {
      name: 'the results show before and after pruning, Try it classifies, the export’s pruning.json lists the marked parts, and a LoRA baseline compares',
      run: async () => {
        const page = getPage();
        assert(marked, 'the explorer test did not prune');
        const results = page.getByTestId('prune-results');
        await results.waitFor({ timeout: TIMEOUT_MS });
        const shownHeads = await json<[number, number][]>(page, 'prune-results', 'data-pruned-heads');
        assert(JSON.stringify(shownHeads) === JSON.stringify(marked.heads), `the results list heads ${JSON.stringify(shownHeads)}, the explorer marked ${JSON.stringify(marked.heads)}`);
        const table = await results.innerText();
        assert(!/measured at the end of the run/.test(table), 'the pruned model’s accuracy is still missing after the run finished');

        await page.getByTestId('try-it-text').fill('WIN a FREE prize now, click here to claim your cash');
        await page.getByTestId('try-it-run').click();
        const tried = page.getByTestId('try-it-result');
        await tried.waitFor({ timeout: TIMEOUT_MS });
        const probabilities = (JSON.parse((await tried.getAttribute('data-probabilities')) ?? '[]') as [string, number][]).map(([label, probability]) => ({ label, probability }));
        const sum = probabilities.reduce((s, p) => s + p.probability, 0);
        console.log(`    try it: ${probabilities.map((p) => `${p.label} ${(p.probability * 100).toFixed(2)}%`).join(', ')}`);
        assert(probabilities.length === 2 && Math.abs(sum - 1) < 1e-5, `class probabilities ${JSON.stringify(probabilities)} do not sum to 1`);

        const [download] = await Promise.all([page.waitForEvent('download', { timeout: RUN_TIMEOUT_MS }), page.getByTestId('export-run').click()]);
        const zip = unzipSync(new Uint8Array(readFileSync(await download.path())));
        const names = Object.keys(zip);
        const pruningName = names.find((n) => n.endsWith('pruned-model/pruning.json'));
        assert(pruningName && names.some((n) => n.endsWith('report.json')) && names.some((n) => n.endsWith('adapter/adapter_model.safetensors')), `the export holds ${names.join(', ')}`);
        const pruning = JSON.parse(new TextDecoder().decode(zip[pruningName])) as { heads: { layer: number; removed: number[] }[]; ffn: { layer: number; removed: number[] }[] };
        const exportedHeads = pruning.heads.flatMap((h) => h.removed.map((head) => [h.layer, head]));
        assert(JSON.stringify(exportedHeads) === JSON.stringify(marked.heads), `pruning.json removes heads ${JSON.stringify(exportedHeads)}, the page marked ${JSON.stringify(marked.heads)}`);
        for (const f of pruning.ffn) assert(JSON.stringify(f.removed) === JSON.stringify(marked.ffn[f.layer]), `pruning.json removes other FFN dimensions in layer ${f.layer} than the page marked`);

        // A LoRA baseline on the same data, then both runs side by side.
        await page.getByTestId('train-method-lora').check();
        await page.getByTestId('train-steps').fill('4');
        await page.getByTestId('train-checkpoint-every').fill('4');
        await page.getByTestId('train-start').click();
        await page.getByTestId('train-outcome').and(page.locator('[data-status="finished"]')).waitFor({ timeout: RUN_TIMEOUT_MS });
        const compare = page.getByTestId('compare-runs');
        const boxes = compare.getByTestId('compare-run');
        await boxes.nth(1).waitFor({ timeout: TIMEOUT_MS });
        await boxes.nth(0).check();
        await boxes.nth(1).check();
        await page.locator('[data-testid="compare-runs"][data-runs="2"]').waitFor({ timeout: TIMEOUT_MS });
        const rows = await compare.getByTestId('compare-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-pruned')));
        assert(rows.includes('true') && rows.includes('false'), `the comparison shows runs pruned: ${rows.join(', ')}`);
        await shot(page, 'results.png');
        await page.getByTestId('results-panel').screenshot({ path: join(root, 'test-results', 'results-panel.png') });
        assertClean(getWatch());
      },
    },
    {
      name: 'the page’s URL reopens the same settings',
      run: async () => {
        assert(runUrl.includes('method=light-peft'), `the URL does not carry the run’s method: ${runUrl}`);
        const linked = new URL(runUrl);
        const { page, watch } = await watchedPage(browser());
        try {
          await page.goto(runUrl);
          await page.getByTestId('train-method-light-peft').and(page.locator(':checked')).waitFor({ timeout: TIMEOUT_MS });
          for (const [testId, key] of [
            ['train-estimate-steps', 'estimateSteps'],
            ['train-lambda-head', 'lambdaHead'],
            ['train-head-ratio', 'headRatio'],
            ['train-steps', 'steps'],
            ['train-seed', 'seed'],
          ] as const) {
            const value = await page.getByTestId(testId).inputValue();
            assert(value === linked.searchParams.get(key), `${key} reopened as ${value}, the link says ${linked.searchParams.get(key)}`);
          }
          assert(/this link/.test(await page.getByTestId('demo-start').innerText()), 'the demo button does not offer the link’s settings');
          await page.screenshot({ path: join(root, 'test-results', 'lightpeft-link.png'), fullPage: true });

          // A damaged link: its valid settings still apply, and each bad one is named in a visible note.
          const damaged = new URL(runUrl);
          damaged.searchParams.set('seed', '5');
          damaged.searchParams.set('headRatio', '2');
          damaged.searchParams.set('colour', 'red');
          await page.goto(damaged.href);
          const note = page.getByTestId('link-ignored');
          await note.waitFor({ timeout: TIMEOUT_MS });
          const lines = await note.locator('li').allInnerTexts();
          console.log(`    damaged link: ${lines.join(' | ')}`);
          assert(lines.length === 2 && lines.some((l) => l.startsWith('headRatio=2')) && lines.some((l) => l.startsWith('colour=red')), `the note does not name exactly the two bad parameters: ${lines.join(' | ')}`);
          assert((await page.getByTestId('train-seed').inputValue()) === '5', 'the damaged link’s valid seed was not applied');
          assert((await page.getByTestId('train-head-ratio').inputValue()) !== '2', 'a head ratio of 2 reached the form');
          assertClean(watch);
        } finally {
          await page.context().close();
        }
      },
    },
  ];
}
