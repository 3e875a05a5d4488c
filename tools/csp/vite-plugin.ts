/**
 * Puts the Content-Security-Policy (policy.ts) on the app:
 * - `vite build`: a <meta http-equiv="Content-Security-Policy"> first in dist/index.html, so the
 *   built app carries it on any static host (the e2e server, a CDN, a folder);
 * - `vite` (dev) and `vite preview`: the same policy as a response header. In dev, React Refresh's
 *   preamble is an inline <script> and Vite injects each CSS import as a <style>: they get a nonce
 *   drawn afresh at each server start (Vite's `html.cspNonce` writes it on its tags and its client
 *   on the styles it adds), rather than 'unsafe-inline'. A hash would do for the preamble alone
 *   but not for the styles, whose text changes with every edit.
 * The benchmark pages (bench/*.html) are not the app: they load tfjs and onnxruntime-web (which
 * needs 'wasm-unsafe-eval') and get no policy.
 */
import { randomBytes } from 'node:crypto';
import type { Connect, Plugin } from 'vite';
import { contentSecurityPolicy } from './policy.js';

/** The page that gets the policy, as Vite names it in transformIndexHtml. */
const APP_PAGE = '/index.html';

export function contentSecurityPolicyPlugin(): Plugin {
  let devNonce: string | undefined;
  const header =
    (policy: () => string): Connect.NextHandleFunction =>
    (req, res, next) => {
      // Everything but the benchmark pages and their scripts (the header matters for documents and workers).
      if (!(req.url ?? '/').startsWith('/bench/')) res.setHeader('Content-Security-Policy', policy());
      next();
    };
  return {
    name: 'light-peft:content-security-policy',
    config(_, { command, isPreview }) {
      if (command !== 'serve' || isPreview) return;
      devNonce = randomBytes(18).toString('base64');
      return { html: { cspNonce: devNonce } };
    },
    configureServer(server) {
      server.middlewares.use(header(() => contentSecurityPolicy({ nonce: devNonce })));
    },
    configurePreviewServer(server) {
      server.middlewares.use(header(() => contentSecurityPolicy()));
    },
    transformIndexHtml: {
      order: 'post',
      handler(_, context) {
        if (context.server || context.path !== APP_PAGE) return;
        return [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy() }, injectTo: 'head-prepend' }];
      },
    },
  };
}
