/**
 * Train section state (zustand): the form as typed, the run in progress as the worker reports it
 * (step, loss curve, validation evaluations, rates, GPU memory, checkpoints), and the outcome. Resuming a saved run first
 * loads what it can itself (the demo model and data, a Hub model from the cache, the run's
 * columns); a model or data file from this computer must be chosen again by the person.
 */
import { create } from 'zustand';
import { useApp, toShown, type ShownError } from '../store';
import { useSetup } from './setup';
import { demoDataUrl, demoModelUrl } from './demo-urls';
import type { EvalLog, StepLog } from '../../shared/training';
import type { LoraTarget } from '../../shared/peft-targets';
import { ADAPTER_DEFAULTS, BASELINE_SCHEDULE, LORA_DEFAULTS, TRAINING_DEFAULTS } from '../../shared/training-defaults';
import type { ColumnSettings, RunSummary, TrainOptions, TrainProgress, TrainResult } from '../../workers/protocol';
import type { EngineClient, TrainProgressListener } from '../../workers/client';

/** The form's fields as typed (numbers are parsed when a run starts; the worker checks ranges). */
export interface TrainForm {
  method: 'lora' | 'adapter';
  rank: string;
  alpha: string;
  targets: LoraTarget[];
  adapterSize: string;
  steps: string;
  batchSize: string;
  lr: string;
  maxLength: string;
  seed: string;
  dropout: boolean;
  checkpointEvery: string;
  /** Steps between validation evaluations; "0": only at the end. */
  evalEvery: string;
}

/** The method defaults are the engine's (the paper's scripts); steps and the intervals are the app's. */
export const DEFAULT_FORM: TrainForm = {
  method: 'lora',
  rank: String(LORA_DEFAULTS.rank),
  alpha: String(LORA_DEFAULTS.alpha),
  targets: [...LORA_DEFAULTS.targets],
  adapterSize: String(ADAPTER_DEFAULTS.size),
  steps: '300',
  batchSize: String(TRAINING_DEFAULTS.batchSize),
  lr: String(BASELINE_SCHEDULE.lr),
  maxLength: String(TRAINING_DEFAULTS.maxLength),
  seed: String(TRAINING_DEFAULTS.seed),
  dropout: true,
  checkpointEvery: '25',
  // Six validation points over the default 300 steps (five, plus the final one). Each evaluation
  // runs the whole validation set (589 demo examples: about a dozen training steps' worth of work).
  evalEvery: '50',
};

/** The run being trained, as the worker last reported it, with its whole loss curve and evaluations (`startStep` > 0: resumed there). */
export interface LiveRun extends Omit<TrainProgress, 'newLogs' | 'newEvaluations'> {
  curve: StepLog[];
  /** Validation evaluations so far; once the run has finished, the final one last (step = totalSteps). */
  evaluations: EvalLog[];
}

export type TrainStatus = 'idle' | 'preparing' | 'running' | 'stopping' | 'done' | 'failed';

export interface TrainState {
  form: TrainForm;
  status: TrainStatus;
  /** What is being prepared before a resume (loading the demo model, …). */
  preparing: string | null;
  live: LiveRun | null;
  result: TrainResult | null;
  error: ShownError | null;
  setForm(patch: Partial<TrainForm>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  resume(run: RunSummary): Promise<void>;
}

export function optionsFromForm(form: TrainForm): TrainOptions {
  // Empty fields become NaN, which the worker refuses with the allowed range.
  const num = (text: string) => (text.trim() === '' ? NaN : Number(text));
  return {
    method: form.method === 'lora' ? { kind: 'lora', rank: num(form.rank), alpha: num(form.alpha), targets: [...form.targets] } : { kind: 'adapter', size: num(form.adapterSize) },
    steps: num(form.steps),
    batchSize: num(form.batchSize),
    lr: num(form.lr),
    maxLength: num(form.maxLength),
    seed: num(form.seed),
    dropout: form.dropout,
    checkpointEvery: num(form.checkpointEvery),
    evalEvery: num(form.evalEvery),
  };
}

/** The form filled in with a run's options (the other method's fields kept as they were). */
export function formFromOptions(options: TrainOptions, form: TrainForm): TrainForm {
  const m = options.method;
  return {
    ...form,
    method: m.kind,
    ...(m.kind === 'lora' ? { rank: String(m.rank), alpha: String(m.alpha), targets: [...m.targets] } : { adapterSize: String(m.size) }),
    steps: String(options.steps),
    batchSize: String(options.batchSize),
    lr: String(options.lr),
    maxLength: String(options.maxLength),
    seed: String(options.seed),
    dropout: options.dropout,
    checkpointEvery: String(options.checkpointEvery),
    evalEvery: String(options.evalEvery),
  };
}

/** True while a run is being prepared, trained or stopped: the model, data and columns must not change. */
export const isTraining = (status: TrainStatus) => status === 'preparing' || status === 'running' || status === 'stopping';

function client(): EngineClient {
  const c = useApp.getState().client;
  if (!c) throw new Error('The engine worker has not started');
  return c;
}

const sameColumns = (a: ColumnSettings | undefined, b: ColumnSettings) =>
  a !== undefined &&
  a.columns.text === b.columns.text &&
  (a.columns.textPair ?? null) === (b.columns.textPair ?? null) &&
  a.columns.label === b.columns.label &&
  a.validationFraction === b.validationFraction &&
  a.seed === b.seed;

export const useTrain = create<TrainState>()((set, get) => {
  /** Runs one train or resume request, following its progress; the runs list is refreshed at each checkpoint. */
  async function follow(call: (c: EngineClient, onProgress: TrainProgressListener) => Promise<TrainResult>) {
    set({ status: 'running', preparing: null, live: null, result: null, error: null });
    const setup = useSetup.getState();
    try {
      const result = await call(client(), (progress) => {
        const { newLogs, newEvaluations, ...rest } = progress;
        const live = get().live;
        const same = live?.runId === progress.runId;
        const curve = same ? [...live.curve, ...newLogs] : [...newLogs];
        const evaluations = !same ? [...newEvaluations] : newEvaluations.length > 0 ? [...live.evaluations, ...newEvaluations] : live.evaluations;
        set({ live: { ...rest, curve, evaluations } });
        if (progress.checkpointStep !== null && progress.checkpointStep !== live?.checkpointStep) void setup.refreshRuns(true);
      });
      set({ status: 'done', result });
      useSetup.setState({ model: result.model, exported: { status: 'idle' } });
    } catch (error) {
      set({ status: 'failed', error: toShown(error) });
    } finally {
      void setup.refreshRuns(true);
    }
  }

  return {
    form: DEFAULT_FORM,
    status: 'idle',
    preparing: null,
    live: null,
    result: null,
    error: null,

    setForm: (patch) => set({ form: { ...get().form, ...patch } }),

    async start() {
      if (isTraining(get().status)) return;
      const options = optionsFromForm(get().form);
      await follow((c, onProgress) => c.train(options, onProgress));
    },

    async stop() {
      if (get().status !== 'running') return;
      set({ status: 'stopping' });
      try {
        await client().stopTraining();
      } catch (error) {
        set({ error: toShown(error) });
      }
    },

    async resume(run) {
      if (isTraining(get().status) || !run.settings) return;
      const { model: wantModel, data: wantData, options } = run.settings;
      // The form shows the run's settings (they cannot change on resume).
      set({ status: 'preparing', preparing: null, live: null, result: null, error: null, form: formFromOptions(options, get().form) });
      const setup = () => useSetup.getState();
      // What the page can load by itself; the worker checks that everything matches the run.
      if (wantModel.origin.kind === 'demo' && setup().model?.sourceKind !== 'demo') {
        set({ preparing: 'Loading the built-in demo model' });
        await setup().loadModel({ kind: 'demo', url: demoModelUrl() }, 'Fetching the demo model');
      } else if (wantModel.origin.kind === 'hub' && setup().model?.name !== wantModel.origin.modelId) {
        set({ preparing: `Loading ${wantModel.origin.modelId} from this browser's cache` });
        await setup().loadModel({ kind: 'hub', modelId: wantModel.origin.modelId }, 'Loading from the Hugging Face Hub cache');
      }
      const demoDataLoaded = setup().tables?.files[0]?.name.startsWith('demo/') && setup().trainFile === null;
      if (wantData.origin.kind === 'demo' && !demoDataLoaded) {
        set({ preparing: 'Loading the built-in demo data' });
        await setup().loadData({ kind: 'demo', url: demoDataUrl() }, 'Fetching the demo data');
      }
      const columns = wantData.columns;
      const tables = setup().tables;
      const available = (c: string | null) => c === null || (tables?.columns.includes(c) ?? false);
      if (tables && !sameColumns(setup().examples?.settings, columns) && [columns.columns.text, columns.columns.textPair ?? null, columns.columns.label].every(available)) {
        set({ preparing: 'Choosing the run’s columns' });
        await setup().chooseColumns(columns);
      }
      await follow((c, onProgress) => c.resumeRun(run.id, onProgress));
    },
  };
});
