/**
 * What a saved run (a RunRecord in IndexedDB) holds about itself: the versioned settings it is
 * rebuilt from after a reload, and its curves. Records of every version this app wrote stay
 * readable: version 1 runs (before the PEFT configuration was stored) resume as they were trained.
 */
import type { RunRecord } from './checkpoint-store';
import type { ColumnChoice } from '../io/datasets';
import type { PeftConfig } from '../model/peft';
import type { ClassificationMetrics } from './metrics';
import type { PruneOutcome } from '../../shared/light-peft';
import type { PlanInput } from '../../shared/pruning-plan';
import { peftOf, type TrainOptions } from './run-options';
import type { EvalLog, RollbackLog, StepLog, TrainSettings } from './trainer';

/** Where a run's model came from, as far as a reload can find it again (a Hub id keeps its `@revision`, never a token). */
export type ModelOrigin = { kind: 'demo' } | { kind: 'hub'; modelId: string } | { kind: 'files'; folderName: string | null };
export type DataOrigin = { kind: 'demo' } | { kind: 'files'; train: string; validation: string | null };

export interface DataFileSummary {
  role: 'train' | 'validation';
  name: string;
  bytes: number;
  rows: number;
  format: string;
}

export interface ColumnSettings {
  columns: ColumnChoice;
  /** Share of the training file held out for validation, when there is no validation file. */
  validationFraction: number;
  seed: number;
}

/** The model's shape as a run records it. */
export interface ModelShape {
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  vocabSize: number;
}

/**
 * Everything needed to rebuild a run after a reload (a RunRecord's `settings`): the model and
 * data it used (checked against what is loaded on resume), the columns, labels and method, the
 * PEFT modules as built and the engine's training settings.
 */
export interface RunSettings {
  version: 2;
  model: {
    origin: ModelOrigin;
    name: string;
    /** The model files read, with sizes: a resumed run must load the same ones. */
    files: { name: string; bytes: number }[];
    shape: ModelShape;
  };
  data: {
    origin: DataOrigin;
    files: DataFileSummary[];
    columns: ColumnSettings;
    trainCount: number;
    validationCount: number;
  };
  /** The labels the classification head was trained on, by id. */
  id2label: string[];
  options: TrainOptions;
  /** The PEFT modules as built (dropout included). Version 1 records had none: theirs had no PEFT dropout. */
  peft: PeftConfig;
  /** The engine's settings, the schedule's defaults included. */
  engine: Omit<TrainSettings, 'scoreFrom'>;
}

/** A RunRecord's `curves`. */
export interface RunCurves {
  /** Loss read back every `logEvery` steps (and at the last step), from step 1 of the run. */
  loss: StepLog[];
  /** Validation metrics once the run has finished. */
  metrics: ClassificationMetrics | null;
  /**
   * Validation evaluations every `evalEvery` steps, then the final one (step = total steps) once
   * the run has finished. Runs saved before evaluations existed have none.
   */
  evaluations: EvalLog[];
  /** Why the run failed, when it did. */
  error: { name: string; message: string } | null;
  /** Light-PEFT runs, once pruned: the plan and the model measured before and after (absent: a plain run, or not pruned yet). */
  pruned?: PruneOutcome | null;
  /** Light-PEFT runs, once pruned: the scores the plan was made from (a resumed run's export writes them). */
  prunedScores?: { input: PlanInput; scoredSteps: number } | null;
  /** Rollbacks after non-finite steps (both phases of a Light-PEFT run); a resumed run goes on at the last one's learning-rate scale. */
  rollbacks?: RollbackLog[];
}

/**
 * A RunRecord's settings when they are this app's (any version it wrote, brought to the current
 * one), else null. Version 1 runs get the PEFT modules they were built with (no PEFT dropout); runs
 * saved before evaluations during training existed get `evalEvery: 0` (their engine settings never evaluate).
 */
export function runSettingsOf(run: RunRecord): RunSettings | null {
  const s = run.settings as (Omit<Partial<RunSettings>, 'version'> & { version?: unknown }) | null;
  if (!(s && typeof s === 'object' && (s.version === 1 || s.version === 2) && s.model && s.data && s.options && s.engine && Array.isArray(s.id2label))) return null;
  const options = s.options.evalEvery === undefined ? { ...s.options, evalEvery: 0 } : s.options;
  const peft = s.version === 2 && s.peft ? s.peft : peftOf(options.method, false);
  return { ...(s as RunSettings), version: 2, options, peft };
}

/** Steps of the whole run: for Light-PEFT, the estimation (up to its prune) and the pruned model's training. */
export function totalStepsOf(settings: RunSettings, curves: RunCurves): number {
  const lightPeft = settings.options.lightPeft;
  if (!lightPeft) return settings.engine.steps;
  return (curves.pruned?.step ?? lightPeft.estimateSteps) + settings.engine.steps;
}

/** A RunRecord's curves, filled in where a record lacks them (older runs have no evaluations). */
export function runCurvesOf(run: RunRecord): RunCurves {
  const c = (run.curves ?? {}) as Partial<RunCurves>;
  return {
    loss: Array.isArray(c.loss) ? c.loss : [],
    metrics: c.metrics ?? null,
    evaluations: Array.isArray(c.evaluations) ? c.evaluations : [],
    error: c.error ?? null,
    pruned: c.pruned ?? null,
    prunedScores: c.prunedScores ?? null,
    rollbacks: Array.isArray(c.rollbacks) ? c.rollbacks : [],
  };
}
