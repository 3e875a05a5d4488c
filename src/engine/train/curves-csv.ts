/** The training curves as CSV, the same in the CLI's files and the browser's zip. */
import type { EvalLog, StepLog } from './trainer';

/**
 * One row per loss read-back; grad_norm is empty when clipping was off. Light-PEFT runs add a last
 * column, phase (estimation or training): the step numbers run on across both phases, and the lr
 * column shows the second phase's schedule starting again from its peak.
 */
export function lossCurveCsv(logs: StepLog[]): string {
  const phased = logs.some((l) => l.phase !== undefined);
  const row = (l: StepLog) => `${l.step},${l.loss},${l.lr},${l.gradNorm ?? ''},${l.seconds.toFixed(3)}${phased ? `,${l.phase ?? ''}` : ''}`;
  return `step,loss,lr,grad_norm,seconds${phased ? ',phase' : ''}\n` + logs.map(row).join('\n') + '\n';
}

/** One row per validation evaluation; mcc is empty for more than two classes. */
export function evaluationsCsv(evals: EvalLog[]): string {
  return 'step,loss,accuracy,macro_f1,mcc\n' + evals.map((e) => `${e.step},${e.loss},${e.accuracy},${e.macroF1},${e.mcc ?? ''}`).join('\n') + '\n';
}
