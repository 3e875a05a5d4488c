/** A run's (or Light-PEFT phase's) figures for report.json. */
import type { EvalLog, RollbackLog, StepLog } from './trainer';

export interface PhaseReport {
  steps: number;
  seconds: number;
  stepsPerSecond: number;
  /** Real (non-padding) tokens per second. */
  tokensPerSecond: number;
  peakGpuBytes: number;
  loss: StepLog[];
  /** Validation evaluations during the phase (every `evalEvery` steps). */
  evaluations: EvalLog[];
  /** Rollbacks after non-finite steps (`--on-nan rollback`), when there were any. */
  rollbacks?: RollbackLog[];
}

export function phaseReport(run: { logs: StepLog[]; evaluations: EvalLog[]; tokens: number; step: number; rollbacks: RollbackLog[] }, peakGpuBytes: number): PhaseReport {
  const seconds = run.logs.at(-1)?.seconds ?? 0;
  const rate = (n: number) => (seconds > 0 ? n / seconds : 0);
  const report: PhaseReport = { steps: run.step, seconds, stepsPerSecond: rate(run.step), tokensPerSecond: rate(run.tokens), peakGpuBytes, loss: run.logs, evaluations: run.evaluations };
  if (run.rollbacks.length) report.rollbacks = run.rollbacks;
  return report;
}
