/**
 * No folder cycles in src/ (`npm run lint:imports`): folders import each other one way only.
 * Test files are left out: a test may import any folder, which would make every folder it sits
 * in look circular. The options are .dependency-cruiser.cjs's.
 */
const { options } = require('./.dependency-cruiser.cjs');

module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment: 'Folders import each other one way only (a cycle: move the shared part down, or the file to the layer it belongs to).',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: { ...options, exclude: { path: `${options.exclude.path}|\\.test\\.tsx?$` } },
};
