/**
 * The Content-Security-Policy (tools/csp/policy.ts) and the Vite plugin that puts it on the app
 * (tools/csp/vite-plugin.ts); the browser run (e2e/security.ts) shows it in force.
 */
import { describe, expect, it } from 'vitest';
import type { IndexHtmlTransformContext, Plugin } from 'vite';
import { HUB_ORIGIN } from '../src/engine/io/hub';
import { contentSecurityPolicy, HUB_ORIGIN as POLICY_HUB_ORIGIN, policyDirectives } from '../tools/csp/policy';
import { contentSecurityPolicyPlugin } from '../tools/csp/vite-plugin';

type Handler = (...args: unknown[]) => unknown;
const hook = (plugin: Plugin, name: keyof Plugin): Handler => {
  const value = plugin[name] as Handler | { handler: Handler };
  return typeof value === 'function' ? value : value.handler;
};

describe('the Content-Security-Policy', () => {
  it('allows the page’s own origin and the Hugging Face Hub only, and no code from strings or inline', () => {
    expect(POLICY_HUB_ORIGIN).toBe(HUB_ORIGIN);
    const directives = policyDirectives();
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    for (const [name, sources] of Object.entries(directives)) {
      for (const source of sources) {
        // No keyword that lets code or styles in from strings or attributes, no scheme-wide or bare wildcard source.
        expect(source, `${name} ${source}`).not.toMatch(/unsafe|^\*$|^(https?|wss?):$/);
        if (source === 'blob:') expect(name).toBe('worker-src');
        if (source === 'data:') expect(name).toBe('img-src');
      }
    }
    for (const source of directives['connect-src'].filter((s) => s !== "'self'")) {
      expect(source).toMatch(/^https:\/\/(huggingface\.co|([a-z0-9*-]+\.)+(huggingface\.co|hf\.co))$/);
    }
    expect(directives['connect-src']).toContain(HUB_ORIGIN);
    // Directives a <meta> ignores (and Chromium logs an error for): the header and the meta say the same.
    expect(contentSecurityPolicy()).not.toMatch(/report-uri|sandbox|frame-ancestors/);
  });

  it('adds a nonce for inline scripts and styles only when given one (the dev server)', () => {
    const dev = policyDirectives({ nonce: 'abc' });
    expect(dev['script-src']).toEqual(["'self'", "'nonce-abc'"]);
    expect(dev['style-src']).toEqual(["'self'", "'nonce-abc'"]);
    expect({ ...dev, 'script-src': [], 'style-src': [] }).toEqual({ ...policyDirectives(), 'script-src': [], 'style-src': [] });
    expect(contentSecurityPolicy()).not.toContain('nonce');
  });
});

describe('the Vite plugin', () => {
  const html = (plugin: Plugin, path: string, server = false) =>
    hook(plugin, 'transformIndexHtml')('<html></html>', { path, filename: path, server: server ? {} : undefined } as unknown as IndexHtmlTransformContext);

  it('writes the policy into the built index.html only, first in <head>', () => {
    const plugin = contentSecurityPolicyPlugin();
    expect(html(plugin, '/index.html')).toEqual([
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy() }, injectTo: 'head-prepend' },
    ]);
    expect(html(plugin, '/bench/kernels.html')).toBeUndefined();
    expect(html(plugin, '/index.html', true)).toBeUndefined(); // dev: the header carries it
  });

  it('draws a fresh nonce for each dev server, and none for a build or a preview', () => {
    const config = (command: 'serve' | 'build', isPreview = false) => hook(contentSecurityPolicyPlugin(), 'config')({}, { command, mode: 'development', isPreview }) as { html: { cspNonce: string } } | undefined;
    const first = config('serve')?.html.cspNonce;
    const second = config('serve')?.html.cspNonce;
    expect(first).toMatch(/^[A-Za-z0-9+/]{24}$/);
    expect(second).not.toBe(first);
    expect(config('build')).toBeUndefined();
    expect(config('serve', true)).toBeUndefined();
  });

  it('sends the policy, with the dev nonce, on every dev response but the benchmark pages’', () => {
    const plugin = contentSecurityPolicyPlugin();
    const { html: { cspNonce } } = hook(plugin, 'config')({}, { command: 'serve', mode: 'development' }) as { html: { cspNonce: string } };
    let middleware!: (req: { url: string }, res: { setHeader: (name: string, value: string) => void }, next: () => void) => void;
    hook(plugin, 'configureServer')({ middlewares: { use: (m: typeof middleware) => (middleware = m) } });
    const headerFor = (url: string) => {
      const headers: Record<string, string> = {};
      let passed = false;
      middleware({ url }, { setHeader: (name, value) => (headers[name] = value) }, () => (passed = true));
      expect(passed).toBe(true);
      return headers['Content-Security-Policy'];
    };
    expect(headerFor('/')).toBe(contentSecurityPolicy({ nonce: cspNonce }));
    expect(headerFor('/src/workers/engine.worker.ts?worker_file&type=module')).toBe(contentSecurityPolicy({ nonce: cspNonce }));
    expect(headerFor('/bench/kernels.html')).toBeUndefined();
  });
});
