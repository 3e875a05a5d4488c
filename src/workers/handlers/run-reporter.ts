/**
 * What a training (plain or Light-PEFT) tells the page as it goes: its progress messages, built
 * from the run's record and whatever the loop has new since the last message (loss points,
 * evaluations), and the checkpoints it saves to IndexedDB. A checkpoint that does not fit (a full
 * disk) pauses the run with what to delete, and is saved again when the person continues.
 */
import type { GpuContext } from '../../gpu/context';
import type { CheckpointStore, RunRecord, StoredTensor } from '../../engine/train/checkpoint-store';
import type { RunCurves } from '../../engine/train/run-record';
import type { EvalLog, RollbackLog, StepLog } from '../../engine/train/trainer';
import type { LightPeftStage, PruneOutcome, TrainProgress } from '../protocol';
import type { RunControl } from '../run-control';
import type { Session } from '../session';
import type { TrainProgressReporter } from './train-progress';
import type { StorageReport } from '../../shared/storage';
import { StorageFullError } from '../../errors';
import { isQuotaError, storageReport } from './storage-report';

/** How often a run paused for storage looks whether the person continued or stopped it. */
const STORAGE_WAIT_POLL_MS = 100;

/** The rates and step of the run as it is now. */
export interface RunNow {
  step: number;
  rates: { stepsPerSecond: number; tokensPerSecond: number } | null;
}

export class RunReporter {
  phase: TrainProgress['phase'] = 'preparing';
  stage: LightPeftStage | null = null;
  pruned: PruneOutcome | null = null;
  checkpointStep: number | null = null;
  /** Set while the run waits, paused, for room to save its checkpoint. */
  storageFull: StorageReport | null = null;
  /** The run as last saved (its settings brought to the current version). */
  record: RunRecord;
  private unposted: StepLog[];
  private unpostedEvaluations: EvalLog[];
  /** Every rollback of the run so far (a resumed run's earlier ones first). */
  private readonly rollbacks: RollbackLog[];
  private now: () => RunNow;
  /** The step this call started from (0, or the checkpoint a resume continues). */
  private readonly startStep: number;

  constructor(
    private readonly session: Session,
    private readonly ctx: GpuContext,
    private readonly store: CheckpointStore,
    run: RunRecord,
    earlier: RunCurves,
    public totalSteps: number,
    private readonly control: RunControl,
    private readonly report: TrainProgressReporter,
  ) {
    this.record = run;
    this.startStep = run.step;
    // A resumed run's first message carries all of its earlier points.
    this.unposted = [...earlier.loss];
    this.unpostedEvaluations = [...earlier.evaluations];
    this.rollbacks = [...(earlier.rollbacks ?? [])];
    this.now = () => ({ step: run.step, rates: null });
  }

  /** Where step and rates come from once the run's trainer exists. */
  follow(now: () => RunNow): void {
    this.now = now;
  }

  log(log: StepLog): void {
    this.unposted.push(log);
  }

  evaluation(log: EvalLog): void {
    this.unpostedEvaluations.push(log);
  }

  /** The run went back to `log.toStep`: points after it not yet posted are dropped, and the page drops those it has. */
  rollback(log: RollbackLog): void {
    this.rollbacks.push(log);
    this.unposted = this.unposted.filter((l) => l.step <= log.toStep);
    this.unpostedEvaluations = this.unpostedEvaluations.filter((e) => e.step <= log.toStep);
  }

  post(): void {
    const { step, rates } = this.now();
    this.report({
      runId: this.record.id,
      name: this.record.name,
      phase: this.phase,
      step,
      totalSteps: this.totalSteps,
      startStep: this.startStep,
      newLogs: this.unposted.splice(0),
      newEvaluations: this.unpostedEvaluations.splice(0),
      stepsPerSecond: rates?.stepsPerSecond ?? null,
      tokensPerSecond: rates?.tokensPerSecond ?? null,
      gpuBytes: this.ctx.liveBytes,
      peakGpuBytes: this.ctx.pool.peakAllocatedBytes,
      checkpointStep: this.checkpointStep,
      stage: this.stage,
      pruned: this.pruned,
      paused: this.control.paused,
      rollbacks: [...this.rollbacks],
      recoveries: [...(this.session.training?.recoveries ?? [])],
      storageFull: this.storageFull,
    });
  }

  /** Saves the run record with its curves and the checkpoint's tensors; the export's report reads it. */
  async save(status: RunRecord['status'], step: number, curves: RunCurves, tensors: Map<string, StoredTensor>): Promise<void> {
    this.phase = 'saving';
    const record: RunRecord = { ...this.record, step, status, updatedAt: Date.now(), curves };
    await this.saveWhenThereIsRoom(record, tensors);
    this.record = record;
    this.checkpointStep = step;
    this.session.lastRun = this.record;
  }

  /**
   * Saves; when storage is full, pauses the run (its state stays on the GPU, the previous
   * checkpoint stays stored), posts what to delete, and tries again once the person continues
   * (or stops: then one last try). A run that cannot pause (it is stopping) fails with
   * StorageFullError, keeping its previous checkpoint.
   */
  private async saveWhenThereIsRoom(record: RunRecord, tensors: Map<string, StoredTensor>): Promise<void> {
    for (;;) {
      try {
        await this.store.save(record, tensors);
        this.storageFull = null;
        return;
      } catch (error) {
        if (!isQuotaError(error)) throw error;
        const report = await storageReport(this.store, record.id);
        // Paused already (by the person) or paused now; a stopping or ended run cannot wait.
        if (this.control.stopRequested || (!this.control.paused && !this.control.pause())) {
          this.storageFull = null;
          throw new StorageFullError(report);
        }
        this.storageFull = report;
        this.post();
        while (this.control.paused && !this.control.stopRequested) await new Promise((resolve) => setTimeout(resolve, STORAGE_WAIT_POLL_MS));
      }
    }
  }
}
