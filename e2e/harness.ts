/** What the browser test files share: a test case, assertions, and the page-cleanliness check. */
import type { Locator } from 'playwright-core';
import type { PageWatch } from './browser';

export interface TestCase {
  name: string;
  run: () => Promise<void>;
}

export const TIMEOUT_MS = 60_000;

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Fails if the page went off-site or logged errors since the last call. */
export function assertClean(watch: PageWatch): void {
  const offsite = watch.offsiteRequests.splice(0);
  const errors = watch.consoleErrors.splice(0);
  assert(offsite.length === 0, `requests left the machine: ${offsite.join(', ')}`);
  assert(errors.length === 0, `console errors:\n  ${errors.join('\n  ')}`);
}

/** Waits until `locator`'s data-status is one of `statuses`; returns it. */
export async function waitForStatus(locator: Locator, statuses: string[], timeout = TIMEOUT_MS): Promise<string> {
  const selector = statuses.map((s) => `[data-status="${s}"]`).join(', ');
  await locator.and(locator.page().locator(selector)).waitFor({ timeout });
  return (await locator.getAttribute('data-status')) ?? '';
}
