import type { ReactNode } from 'react';
import { Problem } from '../Problem';
import { formatBytes, formatCount, formatPercent } from '../format';
import { useSetup } from '../state/setup';
import { LORA_TARGETS, type LoraTarget } from '../../shared/peft-targets';
import type { DeviceRecovery, ModelSummary, TrainResult } from '../../workers/protocol';
import { EvalTable } from './EvalTable';
import { LossChart } from './LossChart';
import { PhaseIndicator } from './PhaseIndicator';
import { StorageFull } from './StorageFull';
import { useLightPeft } from '../state/lightpeft';
import { isTraining, useTrain, type TrainForm } from '../state/train';
import type { LiveRun } from '../state/live-run';
import { MemoryEstimate } from './MemoryEstimate';
import type { NonFinitePolicy, RollbackLog } from '../../shared/training';

const TARGET_NAMES: Record<LoraTarget, string> = {
  query: 'query',
  key: 'key',
  value: 'value',
  'attention.output.dense': 'attention output',
  'intermediate.dense': 'FFN in',
  'output.dense': 'FFN out',
};

/** Step 3: fine-tune the loaded model on the loaded data, with checkpoints in this browser. */
export function TrainPanel() {
  const model = useSetup((s) => s.model);
  const examples = useSetup((s) => s.examples);
  const status = useTrain((s) => s.status);
  const live = useTrain((s) => s.live);
  const result = useTrain((s) => s.result);
  const error = useTrain((s) => s.error);
  const preparing = useTrain((s) => s.preparing);
  const start = useTrain((s) => s.start);
  const stop = useTrain((s) => s.stop);
  const pause = useTrain((s) => s.pause);
  const resumePaused = useTrain((s) => s.resumePaused);
  const pausing = useTrain((s) => s.pausing);
  const training = isTraining(status);
  const form = useTrain((s) => s.form);
  const missing = !model
    ? 'Load a model first (1 Model).'
    : !model.tokenizer || model.tokenizerProblem
      ? 'The loaded model has no tokenizer that fits it (see 1 Model).'
      : !examples
        ? 'Load a dataset and choose its columns first (2 Data).'
        : null;

  return (
    <section className="panel" aria-labelledby="train-heading" data-testid="train-panel" data-status={status}>
      <h2 id="train-heading">
        <span className="step">3</span> Train
      </h2>
      <p className="muted">
        Fine-tunes the PEFT modules and the classification head on your GPU; the base model stays frozen. The run is saved in
        this browser every few steps, so a reload or a crash can resume it from “Saved runs” below. Pause holds it in memory
        (the explorer below can then evaluate and prune); Stop saves it.
      </p>
      <SettingsForm disabled={training} maxTokens={model?.maxTokens ?? null} />
      {model && !training && <MemoryEstimate form={form} model={model} />}
      <div className="row">
        <button type="button" disabled={training || missing !== null} onClick={() => void start()} data-testid="train-start">
          {status === 'preparing' ? 'Preparing…' : training ? 'Training…' : 'Start training'}
        </button>
        <button type="button" className="secondary" disabled={status !== 'running' || !live || live.paused || pausing || live.stage === 'done' || live.phase === 'done'} onClick={() => void pause()} data-testid="train-pause">
          {pausing ? 'Pausing after this step…' : 'Pause'}
        </button>
        <button type="button" className="secondary" disabled={status !== 'running' || !live?.paused} onClick={() => void resumePaused()} data-testid="train-continue">
          Continue
        </button>
        <button type="button" className="secondary" disabled={status !== 'running'} onClick={() => void stop()} data-testid="train-stop">
          {status === 'stopping' ? 'Stopping after this step…' : 'Stop'}
        </button>
        {missing && !training && <span className="muted small">{missing}</span>}
      </div>
      {model?.sourceKind === 'files' && <LocalFilesNote model={model} />}
      {status === 'preparing' && <p className="muted">{preparing ?? 'Preparing the run…'}</p>}
      {live && <LiveView live={live} stopping={status === 'stopping'} training={training} />}
      {live?.storageFull && training && <StorageFull report={live.storageFull} />}
      {status === 'done' && result && <Outcome result={result} />}
      {error && <Problem error={error} testId="train-problem" />}
    </section>
  );
}

function LocalFilesNote({ model }: { model: ModelSummary }) {
  return (
    <p className="note small" data-testid="train-local-note">
      This model comes from {model.name === 'Model files' ? 'files' : <>the folder “{model.name}”</>} on this computer. Runs are saved in this browser,
      but a page cannot reopen local files by itself: to resume after a reload, choose the same {model.name === 'Model files' ? 'files' : 'folder'} (and
      data files) again, then click Resume.
    </p>
  );
}

function Field({ label, hint, children }: { label: string; hint?: string; children: ReactNode }) {
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      {children}
      {hint && <span className="hint">{hint}</span>}
    </label>
  );
}

/** A text field of the form, bound to the train store (numbers stay text until a run starts). */
function FormText({ field, testId, disabled, inputMode = 'numeric' }: { field: keyof TrainForm; testId: string; disabled: boolean; inputMode?: 'numeric' | 'decimal' }) {
  const value = useTrain((s) => s.form[field]) as string;
  const setForm = useTrain((s) => s.setForm);
  return (
    <input
      type="text"
      inputMode={inputMode}
      className="narrow"
      value={value}
      disabled={disabled}
      onChange={(event) => setForm({ [field]: event.target.value })}
      data-testid={testId}
      spellCheck={false}
      autoComplete="off"
    />
  );
}

function SettingsForm({ disabled, maxTokens }: { disabled: boolean; maxTokens: number | null }) {
  const form = useTrain((s) => s.form);
  const setForm = useTrain((s) => s.setForm);
  const text = (field: keyof TrainForm, testId: string, props: { inputMode?: 'numeric' | 'decimal' } = {}) => <FormText field={field} testId={testId} disabled={disabled} inputMode={props.inputMode} />;
  const toggleTarget = (target: LoraTarget, on: boolean) =>
    setForm({ targets: LORA_TARGETS.filter((t) => (t === target ? on : form.targets.includes(t))) });

  return (
    <form className="train-form" noValidate aria-label="Training settings" onSubmit={(event) => event.preventDefault()}>
      <fieldset className="method" disabled={disabled}>
        <legend>Method</legend>
        <div className="methods">
          {METHODS.map((m) => (
            <label key={m.method} className="method-choice">
              <input type="radio" name="method" checked={form.method === m.method} onChange={() => setForm({ method: m.method })} data-testid={`train-method-${m.method}`} />{' '}
              <strong>{m.name}</strong> <span className="muted small">{m.says}</span>
            </label>
          ))}
        </div>
        {form.method !== 'adapter' ? (
          <div className="train-grid">
            <Field label="Rank r">{text('rank', 'train-lora-r')}</Field>
            <Field label="Alpha" hint="scale = alpha / r">
              {text('alpha', 'train-lora-alpha', { inputMode: 'decimal' })}
            </Field>
            <div className="field targets">
              <span className="field-label" id="targets-label">
                On these linear layers
              </span>
              <div className="row tight" role="group" aria-labelledby="targets-label">
                {LORA_TARGETS.map((t) => (
                  <label key={t} title={t}>
                    <input type="checkbox" checked={form.targets.includes(t)} onChange={(event) => toggleTarget(t, event.target.checked)} data-testid={`train-target-${t}`} />{' '}
                    {TARGET_NAMES[t]}
                  </label>
                ))}
              </div>
            </div>
          </div>
        ) : (
          <div className="train-grid">
            <Field label="Adapter size" hint="bottleneck units after attention and after the FFN">
              {text('adapterSize', 'train-adapter-size')}
            </Field>
          </div>
        )}
      </fieldset>
      {form.method === 'light-peft' && <LightPeftFields disabled={disabled} />}
      <fieldset disabled={disabled}>
        <legend>Schedule</legend>
        <div className="train-grid">
          <Field label="Steps" hint={form.method === 'light-peft' ? 'of training the pruned model, after estimation' : undefined}>
            {text('steps', 'train-steps')}
          </Field>
          <Field label="Batch size">{text('batchSize', 'train-batch-size')}</Field>
          <Field label="Learning rate" hint={form.method === 'light-peft' ? 'peak of each phase, linear decay to 0 (no warm-up)' : 'peak; linear warm-up over 6%, then linear decay'}>
            {text('lr', 'train-lr', { inputMode: 'decimal' })}
          </Field>
          <Field label="Max length" hint={maxTokens !== null ? `tokens; this model takes up to ${formatCount(maxTokens)}` : 'tokens'}>
            {text('maxLength', 'train-max-length')}
          </Field>
          <Field label="Seed" hint="order of batches, fresh weights, dropout">
            {text('seed', 'train-seed')}
          </Field>
          <Field label="Checkpoint every" hint="steps; also on Stop and at the end">
            {text('checkpointEvery', 'train-checkpoint-every')}
          </Field>
          <Field label="Evaluate every" hint="steps, on the whole validation set; 0: only at the end">
            {text('evalEvery', 'train-eval-every')}
          </Field>
          <Field label="If the loss becomes NaN" hint="stop the run, or roll back to the last good step at half the learning rate; the NaN step's update is skipped either way">
            <select value={form.onNonFinite} onChange={(event) => setForm({ onNonFinite: event.target.value as NonFinitePolicy })} data-testid="train-on-nan">
              <option value="stop">stop</option>
              <option value="rollback">roll back</option>
            </select>
          </Field>
          <label className="field checkbox-field">
            <span className="field-label">Dropout</span>
            <span>
              <input type="checkbox" checked={form.dropout} onChange={(event) => setForm({ dropout: event.target.checked })} data-testid="train-dropout" /> as
              config.json says
            </span>
          </label>
        </div>
      </fieldset>
    </form>
  );
}

const METHODS: { method: TrainForm['method']; name: string; says: string }[] = [
  { method: 'lora', name: 'LoRA baseline', says: 'low-rank updates on the chosen linear layers; nothing is pruned.' },
  { method: 'adapter', name: 'Adapters', says: 'small bottleneck layers after attention and after the FFN; nothing is pruned.' },
  {
    method: 'light-peft',
    name: 'Light-PEFT',
    says: 'LoRA plus masks on heads and FFN dimensions that learn which parts the task needs; then those parts and the weakest LoRA modules and ranks are removed, and the smaller model trains on.',
  },
];

/** Light-PEFT's own settings: the estimation budget, the L1 pull on the masks, the pruning ratios. */
function LightPeftFields({ disabled }: { disabled: boolean }) {
  const form = useTrain((s) => s.form);
  const setForm = useTrain((s) => s.setForm);
  const text = (field: keyof TrainForm, testId: string) => <FormText field={field} testId={testId} disabled={disabled} inputMode="decimal" />;
  const scope = (key: 'headScope' | 'ffnScope', testId: string) => (
    <select value={form[key]} disabled={disabled} onChange={(event) => setForm({ [key]: event.target.value as 'layer' | 'global' })} data-testid={testId}>
      <option value="layer">in each layer</option>
      <option value="global">across all layers</option>
    </select>
  );
  return (
    <fieldset disabled={disabled} data-testid="train-light-peft" data-tour="light-peft-settings">
      <legend>Light-PEFT</legend>
      <div className="train-grid">
        <Field label="Estimation steps" hint="masks and scores learn; module and rank scores average over the second half">
          {text('estimateSteps', 'train-estimate-steps')}
        </Field>
        <Field label="λ heads" hint="L1 pull on the head masks (the paper: 1e-4)">
          {text('lambdaHead', 'train-lambda-head')}
        </Field>
        <Field label="λ FFN" hint="L1 pull on the FFN-dimension masks">
          {text('lambdaFfn', 'train-lambda-ffn')}
        </Field>
        <Field label="Mask learning rate ×" hint="masks learn this much faster than LoRA (the paper: 1)">
          {text('maskLrMultiplier', 'train-mask-lr')}
        </Field>
        <Field label="Snapshot every" hint="steps; masks read back for the live view (one batch)">
          {text('snapshotEvery', 'train-snapshot-every')}
        </Field>
        <Field label="Heads to prune" hint="share of attention heads">
          {text('headRatio', 'train-head-ratio')}
        </Field>
        <Field label="counted">{scope('headScope', 'train-head-scope')}</Field>
        <Field label="FFN dimensions to prune" hint="share of FFN width">
          {text('ffnRatio', 'train-ffn-ratio')}
        </Field>
        <Field label="counted">{scope('ffnScope', 'train-ffn-scope')}</Field>
        <Field label="LoRA modules to drop" hint="share, by Importance Ratio">
          {text('moduleRatio', 'train-module-ratio')}
        </Field>
        <Field label="Ranks to drop" hint="share of the kept modules' ranks, by Taylor score">
          {text('rankRatio', 'train-rank-ratio')}
        </Field>
      </div>
    </fieldset>
  );
}

const PHASES: Record<LiveRun['phase'], string> = {
  preparing: 'Building the model on the GPU…',
  training: 'Training',
  saving: 'Saving a checkpoint…',
  evaluating: 'Evaluating on the validation set…',
  done: 'saved',
};

function LiveView({ live, stopping, training }: { live: LiveRun; stopping: boolean; training: boolean }) {
  const form = useTrain((s) => s.form);
  const snapshotStep = useLightPeft((s) => (s.runId === live.runId ? (s.snapshots.at(-1)?.step ?? null) : null));
  const fraction = live.totalSteps ? live.step / live.totalSteps : 0;
  const lastLoss = live.curve.at(-1);
  const lastEval = live.evaluations.at(-1);
  // While a run trains, the (locked) form holds its settings.
  const evalEvery = training && form.evalEvery.trim() !== '' && Number.isInteger(Number(form.evalEvery)) ? Number(form.evalEvery) : null;
  return (
    <div className="live" data-testid="train-live" data-run-id={live.runId} data-phase={live.phase}>
      <div className="progress">
        <div className="progress-text" aria-live="polite">
          <span>
            <strong>{live.name}</strong> —{' '}
            {live.phase === 'done' ? (live.step === live.totalSteps ? 'finished' : 'stopped') : stopping ? 'stopping after this step…' : PHASES[live.phase]}
          </span>
          <span data-testid="train-step" data-step={live.step} data-total={live.totalSteps}>
            step {formatCount(live.step)} of {formatCount(live.totalSteps)} ({formatPercent(fraction, 0)})
          </span>
        </div>
        <div className="progress-track" role="progressbar" aria-label="Training steps" aria-valuemin={0} aria-valuemax={live.totalSteps} aria-valuenow={live.step}>
          <div className="progress-fill" style={{ width: `${fraction * 100}%` }} />
        </div>
      </div>
      <dl className="facts train-facts">
        <dt>Loss</dt>
        <dd data-testid="train-loss">
          {!lastLoss ? '—' : lastLoss.taskLoss !== undefined ? `${lastLoss.taskLoss.toFixed(4)} at step ${lastLoss.step}, ${lastLoss.loss.toFixed(2)} with the L1 pull on the masks` : `${lastLoss.loss.toFixed(4)} at step ${lastLoss.step}`}
        </dd>
        <dt>Validation</dt>
        <dd data-testid="train-validation">
          {lastEval ? `accuracy ${formatPercent(lastEval.accuracy)}, loss ${lastEval.loss.toFixed(4)} after step ${formatCount(lastEval.step)}` : 'no evaluation yet'}
        </dd>
        <dt>Speed</dt>
        <dd data-testid="train-speed">
          {live.stepsPerSecond !== null ? `${live.stepsPerSecond.toFixed(2)} steps/s · ${formatCount(Math.round(live.tokensPerSecond ?? 0))} tokens/s` : 'measured at the first loss read-back'}
        </dd>
        <dt>GPU memory</dt>
        <dd data-testid="train-gpu" data-bytes={live.gpuBytes}>
          {formatBytes(live.gpuBytes)} <span className="muted">(peak {formatBytes(live.peakGpuBytes)})</span>
        </dd>
        <dt>Checkpoint</dt>
        <dd data-testid="train-checkpoint">{live.checkpointStep !== null ? `saved at step ${formatCount(live.checkpointStep)}` : 'none yet'}</dd>
      </dl>
      {live.recoveries.length > 0 && <RecoveryNote recoveries={live.recoveries} />}
      {live.rollbacks.length > 0 && <RollbackNote rollbacks={live.rollbacks} />}
      <PhaseIndicator live={live} snapshotStep={snapshotStep} />
      <LossChart curve={live.curve} evaluations={live.evaluations} totalSteps={live.totalSteps} resumedFrom={live.startStep > 0 ? live.startStep : null} prunedAt={live.pruned?.step ?? null} />
      <EvalTable evaluations={live.evaluations} totalSteps={live.totalSteps} evalEvery={evalEvery} />
    </div>
  );
}

/** Lost GPU devices the run recovered from, each from its last checkpoint on a new device. */
function RecoveryNote({ recoveries }: { recoveries: DeviceRecovery[] }) {
  return (
    <p className="note" role="status" data-testid="train-recoveries" data-count={recoveries.length}>
      {recoveries.map((r, i) => (
        <span key={i}>
          The GPU device was lost (noticed at step {formatCount(r.lostAtStep)}): training went on from the checkpoint at step {formatCount(r.resumedFrom)} on a new device.{' '}
        </span>
      ))}
    </p>
  );
}

/** What went non-finite and where the run went back to; the last rollback's scale is the run's learning rate now. */
function RollbackNote({ rollbacks }: { rollbacks: RollbackLog[] }) {
  const last = rollbacks[rollbacks.length - 1];
  // The same rollback again (the NaN came back) is one sentence with a count.
  const sentences = new Map<string, number>();
  for (const r of rollbacks) {
    const text = `The ${Number.isFinite(r.loss) ? `gradient norm became ${r.gradNorm}` : `loss became ${r.loss}`} at step ${formatCount(r.badStep)}: training went back to step ${formatCount(r.toStep)}`;
    sentences.set(text, (sentences.get(text) ?? 0) + 1);
  }
  return (
    <p className="note" role="status" data-testid="train-rollbacks" data-count={rollbacks.length} data-lr-scale={last.lrScale}>
      {[...sentences].map(([text, times]) => (
        <span key={text}>
          {text}
          {times > 1 ? ` (${times} times)` : ''}.{' '}
        </span>
      ))}
      The learning rate is now {last.lrScale}× the schedule&apos;s.
    </p>
  );
}

function Outcome({ result }: { result: TrainResult }) {
  const balance = useSetup((s) => s.examples?.validationBalance);
  if (result.status === 'paused') {
    return (
      <p className="status ok" data-testid="train-outcome" data-status="paused">
        <span className="dot" aria-hidden />
        <span>
          Stopped at step {formatCount(result.step)} of {formatCount(result.totalSteps)} and saved: resume it from “Saved runs” below.
        </span>
      </p>
    );
  }
  const m = result.metrics!;
  return (
    <div data-testid="train-outcome" data-status="finished">
      <p className="status ok">
        <span className="dot" aria-hidden />
        <span>
          Finished {formatCount(result.totalSteps)} steps. Validation on {formatCount(m.count)} examples:
        </span>
      </p>
      <dl className="metrics" data-testid="train-metrics" data-accuracy={m.accuracy} data-macro-f1={m.macroF1} data-mcc={m.mcc ?? ''}>
        <div>
          <dt>Accuracy</dt>
          <dd>{formatPercent(m.accuracy)}</dd>
        </div>
        <div>
          <dt>Macro-F1</dt>
          <dd>{m.macroF1.toFixed(3)}</dd>
        </div>
        {m.mcc !== null && (
          <div>
            <dt>MCC</dt>
            <dd>{m.mcc.toFixed(3)}</dd>
          </div>
        )}
      </dl>
      {balance && <p className="muted small">Always answering the most common class would score {formatPercent(balance.majorityFraction)}.</p>}
      <p className="muted small">
        The trained adapter is now the loaded model’s: download it in 4 Results out{result.pruned ? ', and see what pruning bought under Results' : ''}.
      </p>
    </div>
  );
}
