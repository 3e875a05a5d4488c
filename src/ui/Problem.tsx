import type { ShownError } from './store';
import type { ErrorCode } from '../errors';

/** What to do, by error code, beyond the message the engine already gives. */
const ADVICE: Partial<Record<ErrorCode, { title: string; steps?: string[] }>> = {
  WEBGPU_UNAVAILABLE: {
    title: 'No WebGPU GPU is available to this page',
    steps: [
      'Use a recent Chrome or Edge (version 113 or later) on Windows, macOS or ChromeOS.',
      'On Linux, start Chrome with --enable-unsafe-webgpu --enable-features=Vulkan.',
      'Open chrome://gpu and check that "WebGPU" says "Hardware accelerated" and that hardware acceleration is on in the settings.',
    ],
  },
  DEVICE_LOST: {
    title: 'The GPU device was lost',
    steps: ['Reload the page to get a new device.', 'If it happens again, close other GPU-heavy tabs or try a smaller batch.'],
  },
  OUT_OF_MEMORY: {
    title: 'The GPU ran out of memory',
    steps: ['Try a smaller batch size, a shorter max length or a smaller model.'],
  },
  WORKER: {
    title: 'The engine worker did not start',
    steps: ['This app needs module Web Workers: use a current Chrome, Edge, Firefox or Safari.', 'Reload the page.'],
  },
  BAD_INPUT: { title: 'This input cannot be used' },
  DEMO_NOT_BUILT: { title: 'The built-in demo is not part of this build' },
  NOT_READY: { title: 'A step is missing' },
  SETTING: { title: 'Check this setting' },
  HUB_DOWNLOAD: {
    title: 'The download from the Hugging Face Hub failed',
    steps: ['Check your connection and the model id, then click Load again: files that finished downloading are cached.'],
  },
  DOWNLOAD: { title: 'A file could not be fetched' },
  TRAINING_BUSY: { title: 'Training is running' },
  RUN_OPEN_ELSEWHERE: { title: 'This run is open in another tab' },
  STORAGE_FULL: { title: 'Storage is full' },
  CHECKPOINT_INCOMPLETE: { title: 'This checkpoint cannot be resumed' },
  STORAGE_BLOCKED: { title: 'Another tab holds this app’s storage' },
  NON_FINITE_LOSS: {
    title: 'The training diverged',
    steps: ['Start a new run with a lower learning rate (e.g. half of it) or a shorter max length.'],
  },
};

/** One clear message: a title by error code, the engine's message, and advice where there is some. */
export function Problem({ error, testId = 'problem' }: { error: ShownError; testId?: string }) {
  const advice = ADVICE[error.code];
  return (
    <div className="problem" role="alert" data-testid={testId} data-error={error.name} data-code={error.code}>
      <p className="status bad">
        <span className="dot" aria-hidden />
        <strong>{advice?.title ?? 'Something went wrong'}</strong>
      </p>
      <p className="problem-message">{error.message}</p>
      {advice ? (
        advice.steps && (
          <ul>
            {advice.steps.map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ul>
        )
      ) : (
        <p className="muted">
          This looks like a bug in the app ({error.name}). Reloading may help; please report it with the message above.
        </p>
      )}
    </div>
  );
}
