/**
 * The app's Content-Security-Policy: the page may load code, styles and data from its own origin
 * only, and talk to nothing but its own origin and the Hugging Face Hub. One source for the built
 * page's <meta> (vite-plugin.ts) and the dev and preview servers' header.
 *
 * What the app needs, and why nothing more:
 * - scripts, styles, the demo model and data (fetched from the page's folder): 'self';
 * - the engine worker: a blob: bootstrap that imports its same-origin module, so that the worker
 *   inherits this policy on any host (src/ui/engine-worker.ts says why): worker-src 'self' blob:;
 * - the favicon is a data: URI (index.html): img-src data:;
 * - React's `style={…}` props are set through the CSSOM (element.style), which style-src does not
 *   govern: no 'unsafe-inline' for styles;
 * - WebGPU needs no directive; no WebAssembly, no eval: no 'wasm-unsafe-eval', no 'unsafe-eval';
 * - the Hub: huggingface.co, and the CDN hosts its downloads redirect to (HUB_DOWNLOAD_HOSTS).
 * Directives a <meta> cannot carry (frame-ancestors, report-uri, sandbox) are left out, so the meta
 * and the header say the same (Chromium logs an error for each one ignored in a meta).
 */
/**
 * The Hub, as src/engine/io/hub.ts's HUB_ORIGIN (test/csp.test.ts checks they agree): not imported,
 * so that the Vite config, which loads this file, does not pull in the engine.
 */
export const HUB_ORIGIN = 'https://huggingface.co';

/**
 * Where `https://huggingface.co/<id>/resolve/<revision>/<file>` may redirect. Small files are served
 * by huggingface.co itself; LFS and Xet-stored files (the weights) answer with a redirect to a
 * signed URL on a CDN host, and CSP checks every hop of a redirect against connect-src. The hosts
 * are those the Hub publishes for its downloads (https://huggingface.co/.well-known/meta.json:
 * `lfsDomains` cdn-lfs*.hf.co, `cdnDomains` <region>.<provider>.cdn.hf.co), the older names of
 * the LFS CDN (cdn-lfs*.huggingface.co) and Xet's bridge (cas-bridge.xethub.hf.co), which resolve
 * redirects went to before the cdn.hf.co hosts. Xet's `transfer.xethub*` hosts are left out: only
 * the hf_xet client's chunk protocol uses them, never a plain download.
 */
export const HUB_DOWNLOAD_HOSTS = [
  'https://cdn-lfs.hf.co',
  'https://cdn-lfs-us-1.hf.co',
  'https://cdn-lfs-eu-1.hf.co',
  'https://cdn-lfs.huggingface.co',
  'https://cdn-lfs-us-1.huggingface.co',
  'https://cdn-lfs-eu-1.huggingface.co',
  'https://cas-bridge.xethub.hf.co',
  // us.aws.cdn.hf.co, eu-west-3.aws.cdn.hf.co, us.gcp.cdn.hf.co, …: the list grows with regions.
  'https://*.cdn.hf.co',
] as const;

export interface PolicyOptions {
  /**
   * The dev server only: a nonce for the inline scripts and styles Vite writes (React Refresh's
   * preamble in index.html, each imported CSS file as a <style>), from Vite's `html.cspNonce`.
   */
  nonce?: string;
}

export type Directives = Record<string, string[]>;

export function policyDirectives({ nonce }: PolicyOptions = {}): Directives {
  const inline = nonce ? [`'nonce-${nonce}'`] : [];
  return {
    'default-src': ["'self'"],
    'script-src': ["'self'", ...inline],
    'style-src': ["'self'", ...inline],
    // The engine worker is a blob: that imports its same-origin module (src/ui/engine-worker.ts): so it inherits this policy.
    'worker-src': ["'self'", 'blob:'],
    'connect-src': ["'self'", HUB_ORIGIN, ...HUB_DOWNLOAD_HOSTS],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'self'"],
  };
}

/** The policy as a header or meta value. */
export function contentSecurityPolicy(options: PolicyOptions = {}): string {
  return Object.entries(policyDirectives(options))
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ');
}
