/**
 * The import layers of the project (`npm run lint:imports`, run first by `npm test`).
 *
 *   src/shared, src/errors.ts   pure types, constants and typed errors; import nothing else
 *   src/gpu                     device, buffers, pipelines
 *   src/kernels                 WGSL ops and their CPU references
 *   src/engine                  the model and its layers, training, Light-PEFT, file parsers
 *   src/platform/browser|node   adapters that implement engine interfaces on one platform
 *                               (Cache Storage, IndexedDB; Dawn in Node, the file system)
 *   src/workers, src/cli        the browser worker and the command line: the two front ends
 *   src/ui                      React; reaches the engine only through the worker protocol
 *
 * Each layer imports only from layers below it. Tests (*.test.ts, test/, e2e/) may import
 * anything but are never imported by src/; bench/ and tools/ sit beside the front ends.
 * Folder cycles are checked by .dependency-cruiser.folders.cjs (without the tests).
 */
const TEST = '(^|/)[^/]+\\.test\\.tsx?$|^test/|^e2e/';
const BELOW_GPU = '^src/shared/|^src/errors\\.ts$';

/** A layer rule: modules under `from` may import from src/ only what `allowed` matches. */
function onlyFrom(name, comment, from, allowed) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from, pathNot: TEST },
    to: { path: '^src/', pathNot: allowed },
  };
}

module.exports = {
  forbidden: [
    onlyFrom('shared-is-pure', 'src/shared holds pure types and constants: it imports nothing from the project.', '^src/shared/', '^src/shared/'),
    onlyFrom('errors-import-only-shared', 'src/errors.ts is shared by every layer: it may use src/shared only.', '^src/errors\\.ts$', '^src/shared/'),
    onlyFrom('gpu-imports-only-shared', 'src/gpu is the bottom layer: it may use src/shared and src/errors.ts only.', '^src/gpu/', `^src/gpu/|${BELOW_GPU}`),
    onlyFrom('kernels-import-only-gpu', 'src/kernels are WGSL ops: they may use src/gpu, src/shared and src/errors.ts only.', '^src/kernels/', `^src/(kernels|gpu)/|${BELOW_GPU}`),
    onlyFrom(
      'engine-imports-only-lower-layers',
      'src/engine may use src/kernels, src/gpu, src/shared and src/errors.ts, never a front end (workers, cli, ui), a platform adapter or bench.',
      '^src/engine/',
      `^src/(engine|kernels|gpu)/|${BELOW_GPU}`,
    ),
    onlyFrom(
      'platform-imports-only-engine-and-below',
      'src/platform adapters implement engine interfaces: they may use the engine and the layers below it, and their own platform only.',
      '^src/platform/(browser|node)/',
      `^src/platform/$1/|^src/(engine|kernels|gpu)/|${BELOW_GPU}`,
    ),
    onlyFrom(
      'ui-only-through-the-worker-protocol',
      'src/ui reaches the engine only through the worker protocol (workers/protocol.ts, workers/client.ts), src/shared and src/errors.ts.',
      '^src/ui/',
      `^src/ui/|^src/workers/(protocol|client)\\.ts$|${BELOW_GPU}`,
    ),
    {
      name: 'workers-not-cli-ui-bench',
      comment: 'The browser worker is one front end: it may not use the CLI, the UI, the benchmark or Node adapters.',
      severity: 'error',
      from: { path: '^src/workers/', pathNot: TEST },
      to: { path: '^src/(cli|ui|platform/node)/|^bench/' },
    },
    {
      name: 'cli-not-workers-ui-bench',
      comment: 'The CLI is one front end: it may not use the browser worker, the UI, the benchmark or browser adapters.',
      severity: 'error',
      from: { path: '^src/cli/', pathNot: TEST },
      to: { path: '^src/(workers|ui|platform/browser)/|^bench/' },
    },
    {
      name: 'bench-not-front-ends',
      comment: 'The benchmark measures the engine: it may use engine, kernels, gpu and platform adapters, not the app (workers, ui) or the CLI.',
      severity: 'error',
      from: { path: '^bench/' },
      to: { path: '^src/(workers|ui|cli)/' },
    },
    {
      name: 'core-not-node-builtins',
      comment: 'The engine and the layers below it run in the browser worker too: no node: modules, no Dawn, no IndexedDB (those live in src/platform).',
      severity: 'error',
      from: { path: '^src/(engine|kernels|gpu|shared)/|^src/errors\\.ts$', pathNot: TEST },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'core-not-platform-packages',
      comment: 'Platform packages (Dawn for Node, idb for IndexedDB) are used by src/platform adapters, not by the engine core.',
      severity: 'error',
      from: { path: '^src/(engine|kernels|gpu|shared)/|^src/errors\\.ts$', pathNot: TEST },
      to: { path: '(^|/)node_modules/(webgpu|idb)/' },
    },
    {
      name: 'no-vitest-outside-tests',
      comment: 'Only test files import vitest; a helper that asserts belongs in test/.',
      severity: 'error',
      from: { pathNot: TEST },
      to: { path: '(^|/)node_modules/(vitest|@vitest)/' },
    },
    {
      name: 'src-not-tests',
      comment: 'Source never imports a test file or a test helper.',
      severity: 'error',
      from: { path: '^src/', pathNot: TEST },
      to: { path: TEST },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|bench/results)/|^test/fixtures/' },
    // Type-only imports count: a layer that names another's types depends on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'] },
  },
};
