/**
 * exportRun: the last run as `light-peft train` writes its --out folder, in one zip: adapter/ (HF
 * PEFT), report.json, curves.csv, evaluations.csv and, when the loaded model was pruned by a
 * Light-PEFT run, pruned-model/ (with pruning.json and the tokenizer the model came with) and
 * scores.safetensors. The report has the CLI's shape where the app has the data (the app does not
 * measure per-phase tokens/s and peak bytes: those parts are absent).
 */
import { exportPeftAdapter, exportPrunedModel, zipFiles, type ExportedFile } from '../../engine/export/export';
import { lightPeftReport, phaseSchedule, reportFiles, RUN_FILES, TOKENIZER_FILE_NAMES, trainReport, type ParameterCounts, type TrainReport } from '../../engine/export/report';
import { scoresToSafetensors } from '../../engine/lightpeft/scores';
import type { RobertaModel } from '../../engine/model/roberta';
import { runCurvesOf, runSettingsOf, type RunCurves, type RunSettings } from '../../engine/train/run-record';
import type { RunRecord } from '../../engine/train/checkpoint-store';
import { LIGHT_PEFT_DEFAULTS } from '../../engine/train/defaults';
import type { ModelMeasure } from '../../shared/light-peft';
import { NotReadyError } from '../../errors';
import type { LoadedModel, Session } from '../session';
import { refuseWhileTraining } from './busy';

export async function exportRun(session: Session): Promise<{ fileName: string; bytes: Uint8Array }> {
  refuseWhileTraining(session, 'export the run');
  const loaded = session.model;
  const run = session.lastRun;
  const settings = run && runSettingsOf(run);
  if (!loaded || !run || !settings) throw new NotReadyError('Train a run first: the export holds the trained adapter, the report and curves of the last run (and, for a pruned Light-PEFT run, the pruned model).');
  const { model } = loaded;
  const curves = runCurvesOf(run);
  const within = (folder: string, files: ExportedFile[]) => files.map((f) => ({ name: folder + f.name, bytes: f.bytes }));
  const files = within(RUN_FILES.adapter, await exportPeftAdapter(model, { baseModel: loaded.baseModelName, revision: loaded.baseModelRevision }));
  const prune = session.lastPrune;
  if (prune) {
    const tokenizer = (loaded.tokenizerBytes ?? []).filter((f) => (TOKENIZER_FILE_NAMES as readonly string[]).includes(f.name));
    files.push(...within(RUN_FILES.prunedModel, [...(await exportPrunedModel(model, prune.plan)), ...tokenizer]));
    files.push({ name: RUN_FILES.scores, bytes: scoresToSafetensors(prune.scores) });
  }
  files.push(...reportFiles(appReport(loaded, run, settings, curves), curves.loss));
  const folder = safeFileName(run.name);
  return { fileName: `${folder}.zip`, bytes: zipFiles(files, folder) };
}

/** report.json from a saved run: its settings, curves and (Light-PEFT) prune, and the loaded model's parameter counts. */
function appReport(loaded: LoadedModel, run: RunRecord, settings: RunSettings, curves: RunCurves): TrainReport {
  const { options, data, engine } = settings;
  const lightPeft = options.lightPeft ?? null;
  const pruned = curves.pruned ?? null;
  const head = headParameters(loaded.model);
  const counts = (m: ModelMeasure): ParameterCounts => ({ base: m.baseParams, trainable: m.trainableParams, peft: m.trainableParams - head });
  const now: ParameterCounts = { base: loaded.model.baseParameterCount(), trainable: loaded.model.trainableParameterCount(), peft: loaded.model.trainableParameterCount(['peft']) };
  // The final evaluation is the last one, once the run has finished.
  const final = run.status === 'finished' && curves.metrics ? curves.evaluations.at(-1) : undefined;
  const fileOf = (role: 'train' | 'validation') => data.files.find((f) => f.role === role)?.name ?? null;
  return trainReport({
    command: 'app',
    model: settings.model.name,
    data: {
      train: fileOf('train') ?? '',
      validation: fileOf('validation'),
      columns: data.columns.columns,
      trainExamples: data.trainCount,
      validationExamples: data.validationCount,
      labels: settings.id2label,
    },
    method: lightPeft ? 'light-peft' : 'lora',
    peft: settings.peft,
    settings: engine,
    phases: lightPeft
      ? {
          // The estimation run: the app's lr, the scripts' estimation schedule (estimate.sh).
          estimation: phaseSchedule({ steps: lightPeft.estimateSteps, lr: options.lr, warmupRatio: LIGHT_PEFT_DEFAULTS.estimation.warmupRatio, weightDecay: LIGHT_PEFT_DEFAULTS.estimation.weightDecay }),
          training: phaseSchedule(engine),
        }
      : { training: phaseSchedule(engine) },
    // Before any pruning: the model the run started from.
    parameters: pruned ? counts(pruned.before) : now,
    lightPeft: pruned
      ? {
          ...lightPeftReport(
            pruned.plan,
            { before: counts(pruned.before), after: counts(pruned.after) },
            { beforeSeconds: pruned.before.inferenceSeconds, afterSeconds: pruned.after.inferenceSeconds },
            { beforePrune: pruned.before.gpuBytes, afterPrune: pruned.after.gpuBytes },
          ),
          prunedAt: { step: pruned.step, trigger: pruned.trigger },
          trainStepSeconds: { before: pruned.before.trainStepSeconds, after: pruned.after.trainStepSeconds },
          metrics: { before: pruned.before.metrics, after: pruned.after.metrics },
        }
      : null,
    evaluation: final ? { accuracy: final.accuracy, macroF1: final.macroF1, mcc: final.mcc, count: final.count, loss: final.loss, seconds: final.seconds } : null,
    evaluations: curves.evaluations,
  });
}

/** The classification head's parameters (trainable, and untouched by pruning). */
function headParameters(model: RobertaModel): number {
  return model.trainableParameterCount() - model.trainableParameterCount(['peft']);
}

/** A run's name as a file name: letters, digits, '.', '_' and '-' only ("demo · mail.csv · LoRA r=8 q,v" → "demo-mail.csv-LoRA-r-8-q-v"). */
export function safeFileName(name: string): string {
  const safe = name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 100)
    .replace(/[-.]+$/, '');
  return safe || 'run';
}
