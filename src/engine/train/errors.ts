/** Errors of training runs, from the one error module (bad settings are SettingErrors). */
export { NonFiniteLossError, NotReadyError, SettingError } from '../../errors';
