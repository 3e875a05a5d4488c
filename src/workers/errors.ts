/** Errors the worker raises itself (the engine's own are in src/engine/gpu/errors.ts). */
import { EngineError } from '../errors';

/** A step that needs an earlier one (a model, a tokenizer, data) was asked for too soon. */
export class NotReadyError extends EngineError {}

/** The built-in demo model or data is not on the server (the app was built without it). */
export class DemoNotBuiltError extends EngineError {}

/** A setting the user typed is out of range; says what range is allowed. */
export class SettingError extends EngineError {}

/** A download failed (network, HTTP status). */
export class DownloadError extends EngineError {}

/** A request that would change what a running training uses (the model, the data) came while it runs. */
export class TrainingBusyError extends EngineError {}
