/**
 * Starts the engine worker so that the page's Content-Security-Policy binds it too. A worker
 * loaded from its own URL takes its policy from that response's headers, which a static host (or
 * dist/ served by any plain server) does not send: the policy in index.html's <meta> would stop at
 * the page, and the worker could reach any host. A worker started from a blob: URL inherits the
 * policy of the page that made it (HTML's policy container), so the worker is a one-line blob
 * that imports the real, same-origin module (tools/csp/policy.ts allows worker-src blob: for it).
 */

/** A module Worker whose script is a blob: that imports `moduleUrl`. */
class PolicyBoundWorker extends Worker {
  constructor(moduleUrl: URL, options: WorkerOptions) {
    const bootstrap = URL.createObjectURL(new Blob([`import ${JSON.stringify(moduleUrl.href)};\n`], { type: 'text/javascript' }));
    try {
      super(bootstrap, options);
    } finally {
      // The worker holds the blob from its construction on (HTML's blob URL entry): the URL can go.
      URL.revokeObjectURL(bootstrap);
    }
  }
}

export function startEngineWorker(): Worker {
  // Vite bundles the module of any `new Worker(new URL('…', import.meta.url))` and rewrites the
  // URL to the built file, whatever `Worker` is: here, the subclass above.
  const Worker = PolicyBoundWorker;
  return new Worker(new URL('../workers/engine.worker.ts', import.meta.url), { type: 'module' });
}
