/**
 * What `light-peft train` writes into its --out folder besides the adapter, and the app's run
 * export in the same shape: report.json, curves.csv and evaluations.csv, plus for a Light-PEFT run
 * the `lightPeft` part of the report (plan, predicted costs, parameters, inference time and GPU
 * bytes before and after pruning). One source for the file names and the report's layout.
 */
import type { ColumnChoice } from '../io/datasets';
import type { PeftConfig } from '../model/peft';
import type { PhaseReport } from '../train/report';
import type { EvalLog, StepLog, TrainSettings } from '../train/trainer';
import type { ClassificationMetrics } from '../train/metrics';
import type { PruningPlan } from '../../shared/pruning-plan';
import { evaluationsCsv, lossCurveCsv } from '../train/curves-csv';
import type { ExportedFile } from './export';

/** The files and folders of a run's output (the CLI's --out folder, the app's zip). */
export const RUN_FILES = {
  adapter: 'adapter/',
  report: 'report.json',
  curves: 'curves.csv',
  evaluations: 'evaluations.csv',
  scores: 'scores.safetensors',
  prunedModel: 'pruned-model/',
} as const;

/** The tokenizer files a model folder may hold; pruned-model/ gets those the model came with. */
export const TOKENIZER_FILE_NAMES = ['tokenizer.json', 'tokenizer_config.json', 'vocab.json', 'merges.txt'] as const;

/** A phase's optimiser schedule as the report lists it. */
export interface PhaseSchedule {
  steps: number;
  lr: number;
  warmupRatio: number;
  weightDecay: number;
}

export function phaseSchedule(s: Pick<TrainSettings, 'steps' | 'lr' | 'warmupRatio' | 'weightDecay'>): PhaseSchedule {
  return { steps: s.steps, lr: s.lr, warmupRatio: s.warmupRatio, weightDecay: s.weightDecay };
}

/** trainable = PEFT modules + classifier head; peft = the modules alone. */
export interface ParameterCounts {
  base: number;
  trainable: number;
  peft: number;
}

type BeforeAfter = { before: number; after: number };

/** report.json's `lightPeft`: the plan (what was kept and removed), its predicted costs, and the model measured on each side of the prune. */
export interface LightPeftReport {
  plan: Omit<PruningPlan, 'predicted'>;
  predicted: PruningPlan['predicted'];
  parameters: { base: BeforeAfter; trainable: BeforeAfter; peft: BeforeAfter };
  /** Seconds of one evaluation-mode forward of a training batch. */
  inference: { beforeSeconds: number; afterSeconds: number };
  /** GPU bytes held for the model (no optimizer) just before and just after the prune. */
  gpuBytes: { beforePrune: number; afterPrune: number };
  scores: typeof RUN_FILES.scores;
  prunedModel: typeof RUN_FILES.prunedModel;
  // What only the app measures (absent from the CLI's report):
  /** The global step it was pruned after; 'now': a person pressed Prune now, 'auto': the end of the estimation budget. */
  prunedAt?: { step: number; trigger: 'auto' | 'now' };
  /** Mean training-step seconds of the estimation (before) and of training the pruned model (after). */
  trainStepSeconds?: { before: number | null; after: number | null };
  /** Validation metrics of the model before pruning and of the pruned model at the end. */
  metrics?: { before: ClassificationMetrics | null; after: ClassificationMetrics | null };
}

export function lightPeftReport(
  plan: PruningPlan,
  parameters: { before: ParameterCounts; after: ParameterCounts },
  inference: LightPeftReport['inference'],
  gpuBytes: LightPeftReport['gpuBytes'],
): LightPeftReport {
  const { predicted, ...kept } = plan;
  const pair = (key: keyof ParameterCounts) => ({ before: parameters.before[key], after: parameters.after[key] });
  return {
    plan: kept,
    predicted,
    parameters: { base: pair('base'), trainable: pair('trainable'), peft: pair('peft') },
    inference,
    gpuBytes,
    scores: RUN_FILES.scores,
    prunedModel: RUN_FILES.prunedModel,
  };
}

export interface TrainReport {
  /** 'train': written by `light-peft train`; 'app': exported from the browser app. */
  command: 'train' | 'app';
  /** The model folder, Hub id or (app) the model's name. */
  model: string;
  data: { train: string; validation: string | null; columns: ColumnChoice; trainExamples: number; validationExamples: number; labels: string[] };
  method: 'lora' | 'light-peft';
  peft: PeftConfig;
  /** light-peft: `steps` and the schedule are those of training the pruned model; `phases` has both runs'. */
  settings: Omit<TrainSettings, 'scoreFrom'>;
  phases: { estimation?: PhaseSchedule; training: PhaseSchedule };
  parameters: ParameterCounts;
  /** Per phase: steps/s, tokens/s, peak GPU bytes, loss and evaluations (the CLI measures these; the app's export has none). */
  estimation?: PhaseReport;
  training?: PhaseReport;
  lightPeft: LightPeftReport | null;
  /** The final validation evaluation (null: the run did not finish). */
  evaluation: (ClassificationMetrics & { loss: number; seconds: number }) | null;
  /** Evaluations during the run, then the final one. */
  evaluations: EvalLog[];
  adapter: typeof RUN_FILES.adapter;
}

/** The report with its keys in the order the CLI has always written them. */
export function trainReport(parts: Omit<TrainReport, 'adapter'>): TrainReport {
  const { command, model, data, method, peft, settings, phases, parameters, estimation, training, lightPeft, evaluation, evaluations } = parts;
  return { command, model, data, method, peft, settings, phases, parameters, ...(estimation && { estimation }), ...(training && { training }), lightPeft, evaluation, evaluations, adapter: RUN_FILES.adapter };
}

/** report.json, curves.csv (the loss read-backs) and evaluations.csv (the report's evaluations). */
export function reportFiles(report: TrainReport, loss: StepLog[]): ExportedFile[] {
  const encode = (text: string) => new TextEncoder().encode(text);
  return [
    { name: RUN_FILES.report, bytes: encode(JSON.stringify(report, null, 2) + '\n') },
    { name: RUN_FILES.curves, bytes: encode(lossCurveCsv(loss)) },
    { name: RUN_FILES.evaluations, bytes: encode(evaluationsCsv(report.evaluations)) },
  ];
}
