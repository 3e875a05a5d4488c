/**
 * The end of every browser benchmark's driver: waits for the page's [data-testid=bench-panel] to
 * say done or failed, checks what the page did, and returns the report shown in
 * [data-testid=bench-json].
 */
import type { Page } from 'playwright-core';
import type { PageWatch } from '../e2e/browser';

export interface PageReportOptions {
  timeoutMs: number;
  /** 'throw' (the comparisons: a failing page times nothing) or 'log' (the kernel suite: warn only). */
  onConsoleErrors: 'throw' | 'log';
  /** Off-machine requests fail the benchmark (the comparisons); the kernel suite does not check. */
  checkOffsite: boolean;
}

export async function benchPageReport<T>(page: Page, watch: PageWatch, options: PageReportOptions): Promise<T> {
  const panel = page.getByTestId('bench-panel');
  await panel.and(page.locator('[data-status="done"], [data-status="failed"]')).waitFor({ timeout: options.timeoutMs });
  if ((await panel.getAttribute('data-status')) !== 'done') throw new Error(`the benchmark failed: ${await panel.innerText()}`);
  if (options.checkOffsite && watch.offsiteRequests.length) throw new Error(`the page requested files off this machine:\n  ${watch.offsiteRequests.join('\n  ')}`);
  if (watch.consoleErrors.length) {
    const message = `the page logged errors:\n  ${watch.consoleErrors.join('\n  ')}`;
    if (options.onConsoleErrors === 'throw') throw new Error(message);
    console.error(message);
  }
  return JSON.parse(await page.getByTestId('bench-json').innerText()) as T;
}
