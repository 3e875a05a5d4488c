/** Errors the worker raises (the engine's own are in src/engine/gpu/errors.ts and src/engine/train/). */
import { EngineError } from '../engine/gpu/errors';

/** Shared with the engine's run checks: a step that needs an earlier one was asked for too soon. */
export { NotReadyError } from '../engine/train/errors';

/** Shared with the engine's rule table: a setting the user typed is out of range; says what range is allowed. */
export { SettingError } from '../engine/train/checks';

/** The built-in demo model or data is not on the server (the app was built without it). */
export class DemoNotBuiltError extends EngineError {}

/** A download failed (network, HTTP status). */
export class DownloadError extends EngineError {}

/** A request that would change what a running training uses (the model, the data) came while it runs. */
export class TrainingBusyError extends EngineError {}
