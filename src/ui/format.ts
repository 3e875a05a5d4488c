/** Number formatting for the UI (English, thousands separators). */

/** Byte sizes as the engine's messages write them (KiB, MiB, GiB). */
export { formatBytes } from '../shared/format-bytes';

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Parameters in millions: "124.6 M", small models with more digits ("0.031 M"). */
export function formatMillions(n: number): string {
  const m = n / 1e6;
  return `${m >= 10 ? m.toFixed(1) : m >= 1 ? m.toFixed(2) : m.toPrecision(2)} M`;
}

export function formatPercent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`;
}

export function formatMiB(mib: number): string {
  return mib >= 1024 ? `${(mib / 1024).toFixed(mib % 1024 ? 1 : 0)} GiB` : `${Math.round(mib)} MiB`;
}

export function formatDate(ms: number): string {
  return new Date(ms).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}
