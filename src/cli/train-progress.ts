/** The train command's progress on stderr: a bar on a terminal (a line per loss point otherwise), and a line per evaluation. */
import type { EvalLog, RollbackLog, StepLog } from '../engine/train/trainer';

export function progressPrinter(total: number): ((log: StepLog) => void) & { done(): void; evaluation(log: EvalLog): void; rollback(log: RollbackLog): void } {
  const tty = process.stderr.isTTY;
  const print = (log: StepLog) => {
    const width = 24;
    const filled = Math.min(width, Math.round((width * log.step) / total));
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${log.phase ? `${log.phase} ` : ''}step ${log.step}/${total} loss ${log.loss.toFixed(4)}${log.gradNorm !== undefined ? ` grad norm ${log.gradNorm.toFixed(2)}` : ''} lr ${log.lr.toExponential(2)} ${log.seconds.toFixed(0)} s`;
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
  };
  const evaluation = (e: EvalLog) =>
    process.stderr.write(`${tty ? '\n' : ''}evaluation at step ${e.step}: loss ${e.loss.toFixed(4)}, accuracy ${(e.accuracy * 100).toFixed(1)}%, macro-F1 ${e.macroF1.toFixed(3)}${e.mcc !== null ? `, MCC ${e.mcc.toFixed(3)}` : ''}\n`);
  const rollback = (r: RollbackLog) =>
    process.stderr.write(
      `${tty ? '\n' : ''}rollback: the ${Number.isFinite(r.loss) ? `gradient norm became ${r.gradNorm}` : `loss became ${r.loss}`} at step ${r.badStep}; back to step ${r.toStep}, learning rate now ×${r.lrScale}\n`,
    );
  return Object.assign(print, { done: () => tty && process.stderr.write('\n'), evaluation, rollback });
}
