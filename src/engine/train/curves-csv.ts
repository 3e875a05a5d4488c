/** The training curves as CSV, the same in the CLI's files and the browser's zip. */
import type { EvalLog, StepLog } from './trainer';

/** One row per loss read-back; grad_norm is empty when clipping was off. */
export function lossCurveCsv(logs: StepLog[]): string {
  return 'step,loss,lr,grad_norm,seconds\n' + logs.map((l) => `${l.step},${l.loss},${l.lr},${l.gradNorm ?? ''},${l.seconds.toFixed(3)}`).join('\n') + '\n';
}

/** One row per validation evaluation; mcc is empty for more than two classes. */
export function evaluationsCsv(evals: EvalLog[]): string {
  return 'step,loss,accuracy,macro_f1,mcc\n' + evals.map((e) => `${e.step},${e.loss},${e.accuracy},${e.macroF1},${e.mcc ?? ''}`).join('\n') + '\n';
}
