/** Errors of training runs (bad settings are SettingErrors, in checks.ts). */
import { EngineError } from '../gpu/errors';

/** A step that needs an earlier one (a model, a tokenizer, data, the same data as before) was asked for too soon. */
export class NotReadyError extends EngineError {}

/** The loss or the gradient norm became NaN or infinite: the run stops before the weights are spoilt. */
export class NonFiniteLossError extends EngineError {}
