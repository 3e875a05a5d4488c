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
import type { LoraTarget } from '../../shared/peft-targets';
import { ADAPTER_DEFAULTS, BASELINE_SCHEDULE, LIGHT_PEFT_DEFAULTS, LIGHT_PEFT_DEMO, LORA_DEFAULTS, NON_FINITE_DEFAULTS, TRAINING_DEFAULTS } from '../../shared/training-defaults';
import type { NonFinitePolicy } from '../../shared/training';
import type { PlanRatios, Scope } from '../../shared/pruning';
import { useLightPeft } from './lightpeft';
import { nextLiveRun, type LiveRun } from './live-run';
import type { ColumnSettings, MaskSnapshot, RunSummary, TrainOptions, TrainResult } from '../../workers/protocol';
import type { EngineClient, SnapshotListener, TrainProgressListener } from '../../workers/client';

/** The form's fields as typed (numbers are parsed when a run starts; the worker checks ranges). */
export interface TrainForm {
  /** 'light-peft': LoRA (its fields below) with Light-PEFT's estimation, prune and pruned-model training. */
  method: 'lora' | 'adapter' | 'light-peft';
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
  // Light-PEFT (method 'light-peft'); `steps` is then the pruned model's budget.
  estimateSteps: string;
  lambdaHead: string;
  lambdaFfn: string;
  maskLrMultiplier: string;
  headRatio: string;
  ffnRatio: string;
  moduleRatio: string;
  rankRatio: string;
  headScope: Scope;
  ffnScope: Scope;
  snapshotEvery: string;
  /** A NaN or infinite loss or gradient: stop the run, or roll back and go on at a lower learning rate. */
  onNonFinite: NonFinitePolicy;
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
  // Light-PEFT: the paper's λ, mask learning rate and ratios; a short estimation for the app.
  estimateSteps: '100',
  lambdaHead: String(LIGHT_PEFT_DEFAULTS.lambdaHead),
  lambdaFfn: String(LIGHT_PEFT_DEFAULTS.lambdaFfn),
  maskLrMultiplier: String(LIGHT_PEFT_DEFAULTS.maskLrMultiplier),
  ...ratioFields(LIGHT_PEFT_DEFAULTS.ratios),
  snapshotEvery: '5',
  onNonFinite: NON_FINITE_DEFAULTS.policy,
};

/** The one-click demo: Light-PEFT on the demo model and data, sized to show the masks move within a minute on a CPU adapter. */
export const DEMO_FORM: TrainForm = {
  ...DEFAULT_FORM,
  method: 'light-peft',
  targets: [...LIGHT_PEFT_DEFAULTS.targets],
  steps: String(LIGHT_PEFT_DEMO.steps),
  batchSize: String(LIGHT_PEFT_DEMO.batchSize),
  lr: String(LIGHT_PEFT_DEMO.lr),
  maxLength: String(LIGHT_PEFT_DEMO.maxLength),
  checkpointEvery: String(LIGHT_PEFT_DEMO.checkpointEvery),
  evalEvery: String(LIGHT_PEFT_DEMO.evalEvery),
  estimateSteps: String(LIGHT_PEFT_DEMO.estimateSteps),
  lambdaHead: String(LIGHT_PEFT_DEMO.lambdaHead),
  lambdaFfn: String(LIGHT_PEFT_DEMO.lambdaFfn),
  maskLrMultiplier: String(LIGHT_PEFT_DEMO.maskLrMultiplier),
  snapshotEvery: String(LIGHT_PEFT_DEMO.snapshotEvery),
};

function ratioFields(r: PlanRatios): Pick<TrainForm, 'headRatio' | 'ffnRatio' | 'moduleRatio' | 'rankRatio' | 'headScope' | 'ffnScope'> {
  return { headRatio: String(r.head), ffnRatio: String(r.ffn), moduleRatio: String(r.module), rankRatio: String(r.rank), headScope: r.headScope, ffnScope: r.ffnScope };
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
  /** A pause or continue request is on its way (the run pauses after its current step). */
  pausing: boolean;
  setForm(patch: Partial<TrainForm>): void;
  start(): Promise<void>;
  /** Loads the demo model and data when they are not loaded, then starts a Light-PEFT run with the demo's settings (or the link's, when the page was opened with settings). */
  startDemo(useFormAsIs?: boolean): Promise<void>;
  stop(): Promise<void>;
  /** Holds the run between two steps, everything kept on the GPU; `resumePaused` goes on. */
  pause(): Promise<void>;
  resumePaused(): Promise<void>;
  resume(run: RunSummary): Promise<void>;
}

export function optionsFromForm(form: TrainForm): TrainOptions {
  // Empty fields become NaN, which the worker refuses with the allowed range.
  const num = (text: string) => (text.trim() === '' ? NaN : Number(text));
  const lightPeft = form.method === 'light-peft';
  return {
    method: form.method === 'adapter' ? { kind: 'adapter', size: num(form.adapterSize) } : { kind: 'lora', rank: num(form.rank), alpha: num(form.alpha), targets: [...form.targets] },
    steps: num(form.steps),
    batchSize: num(form.batchSize),
    lr: num(form.lr),
    maxLength: num(form.maxLength),
    seed: num(form.seed),
    dropout: form.dropout,
    checkpointEvery: num(form.checkpointEvery),
    evalEvery: num(form.evalEvery),
    onNonFinite: form.onNonFinite,
    lightPeft: lightPeft
      ? {
          estimateSteps: num(form.estimateSteps),
          lambdaHead: num(form.lambdaHead),
          lambdaFfn: num(form.lambdaFfn),
          maskLrMultiplier: num(form.maskLrMultiplier),
          ratios: { head: num(form.headRatio), ffn: num(form.ffnRatio), module: num(form.moduleRatio), rank: num(form.rankRatio), headScope: form.headScope, ffnScope: form.ffnScope },
          snapshotEvery: num(form.snapshotEvery),
        }
      : null,
  };
}

/** The form filled in with a run's options (the other method's fields kept as they were). */
export function formFromOptions(options: TrainOptions, form: TrainForm): TrainForm {
  const m = options.method;
  const lp = options.lightPeft;
  return {
    ...form,
    method: lp ? 'light-peft' : m.kind,
    ...(m.kind === 'lora' ? { rank: String(m.rank), alpha: String(m.alpha), targets: [...m.targets] } : { adapterSize: String(m.size) }),
    steps: String(options.steps),
    batchSize: String(options.batchSize),
    lr: String(options.lr),
    maxLength: String(options.maxLength),
    seed: String(options.seed),
    dropout: options.dropout,
    checkpointEvery: String(options.checkpointEvery),
    evalEvery: String(options.evalEvery),
    onNonFinite: options.onNonFinite ?? NON_FINITE_DEFAULTS.policy,
    ...(lp
      ? {
          estimateSteps: String(lp.estimateSteps),
          lambdaHead: String(lp.lambdaHead),
          lambdaFfn: String(lp.lambdaFfn),
          maskLrMultiplier: String(lp.maskLrMultiplier ?? LIGHT_PEFT_DEFAULTS.maskLrMultiplier),
          ...ratioFields(lp.ratios),
          snapshotEvery: String(lp.snapshotEvery),
        }
      : {}),
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

/** The built-in demo data is the loaded dataset. */
export function demoDataIsLoaded(): boolean {
  const setup = useSetup.getState();
  return (setup.tables?.files[0]?.name.startsWith('demo/') ?? false) && setup.trainFile === null;
}

export const useTrain = create<TrainState>()((set, get) => {
  /** Runs one train or resume request, following its progress; the runs list is refreshed at each checkpoint. */
  async function follow(call: (c: EngineClient, onProgress: TrainProgressListener, onSnapshot: SnapshotListener) => Promise<TrainResult>) {
    set({ status: 'running', preparing: null, live: null, result: null, error: null, pausing: false });
    const setup = useSetup.getState();
    const lightPeft = useLightPeft.getState();
    try {
      const onSnapshot = (snapshot: MaskSnapshot) => useLightPeft.getState().addSnapshot(snapshot);
      const result = await call(client(), (progress) => {
        const live = get().live;
        if (live?.runId !== progress.runId && progress.stage !== null) lightPeft.reset(progress.runId);
        if (progress.stage !== null) useLightPeft.getState().setStage(progress.stage, progress.pruned);
        set({ live: nextLiveRun(live, progress) });
        if (progress.checkpointStep !== null && progress.checkpointStep !== live?.checkpointStep) void setup.refreshRuns(true);
      }, onSnapshot);
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
    pausing: false,

    setForm: (patch) => set({ form: { ...get().form, ...patch } }),

    async start() {
      if (isTraining(get().status)) return;
      const options = optionsFromForm(get().form);
      await follow((c, onProgress, onSnapshot) => c.train(options, onProgress, onSnapshot));
    },

    async startDemo(useFormAsIs = false) {
      if (isTraining(get().status)) return;
      const form = useFormAsIs ? get().form : DEMO_FORM;
      set({ form, status: 'preparing', preparing: null, live: null, result: null, error: null });
      const setup = () => useSetup.getState();
      const failed = (error: ShownError | null, otherwise: string) => set({ status: 'failed', preparing: null, error: error ?? { code: 'NOT_READY', name: 'Not ready', message: otherwise } });
      if (setup().model?.sourceKind !== 'demo') {
        set({ preparing: 'Loading the built-in demo model' });
        await setup().loadModel({ kind: 'demo', url: demoModelUrl() }, 'Fetching the demo model');
        if (setup().model?.sourceKind !== 'demo') return failed(setup().modelError, 'The demo model did not load.');
      }
      if (!demoDataIsLoaded()) {
        set({ preparing: 'Loading the built-in demo data' });
        await setup().loadData({ kind: 'demo', url: demoDataUrl() }, 'Fetching the demo data');
        if (!demoDataIsLoaded() || !setup().examples) return failed(setup().dataError ?? setup().columnsError, 'The demo data did not load.');
      }
      const options = optionsFromForm(get().form);
      await follow((c, onProgress, onSnapshot) => c.train(options, onProgress, onSnapshot));
    },

    async pause() {
      const live = get().live;
      if (get().status !== 'running' || !live || live.paused || get().pausing) return;
      set({ pausing: true });
      try {
        await client().pauseTraining();
      } catch (error) {
        set({ error: toShown(error) });
      } finally {
        set({ pausing: false });
      }
    },

    async resumePaused() {
      if (get().status !== 'running' || !get().live?.paused) return;
      try {
        await client().continueTraining();
      } catch (error) {
        set({ error: toShown(error) });
      }
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
      if (wantData.origin.kind === 'demo' && !demoDataIsLoaded()) {
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
      await follow((c, onProgress, onSnapshot) => c.resumeRun(run.id, onProgress, onSnapshot));
    },
  };
});
