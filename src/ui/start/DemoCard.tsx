/**
 * The first thing on the page: one button that loads the built-in demo model and data and starts
 * a Light-PEFT run, with the settings it uses shown and explained; the way to bring your own model
 * and data is one click away (the setup panels below open). A link with settings starts with the
 * link's settings instead, and a link naming a Hub model offers to load it.
 */
import { LIGHT_PEFT_DEFAULTS, LIGHT_PEFT_DEMO } from '../../shared/training-defaults';
import { useApp } from '../store';
import { useSetup } from '../state/setup';
import { isTraining, useTrain } from '../state/train';
import { useLink } from '../state/link';
import { formatPercent } from '../format';

const DEMO_SETTINGS: { name: string; value: string; why: string }[] = [
  { name: 'Batches', value: `${LIGHT_PEFT_DEMO.batchSize} e-mails × ${LIGHT_PEFT_DEMO.maxLength} tokens`, why: 'short, so a step takes about a second and a half even without a GPU' },
  { name: 'Estimation', value: `${LIGHT_PEFT_DEMO.estimateSteps} steps`, why: 'the masks learn which heads and FFN dimensions matter (the paper uses up to 800)' },
  { name: 'L1 pull', value: `λ = ${LIGHT_PEFT_DEMO.lambdaHead}`, why: 'a hundred times the paper’s, so unneeded masks fall within the short budget' },
  { name: 'Mask learning rate', value: `× ${LIGHT_PEFT_DEMO.maskLrMultiplier}`, why: 'masks move ten times faster than LoRA; the ranking stays the same' },
  {
    name: 'Pruning',
    value: `${formatPercent(LIGHT_PEFT_DEFAULTS.ratios.head, 0)} of heads, ${formatPercent(LIGHT_PEFT_DEFAULTS.ratios.ffn, 0)} of FFN width, ${formatPercent(LIGHT_PEFT_DEFAULTS.ratios.module, 0)} of LoRA modules, ${formatPercent(LIGHT_PEFT_DEFAULTS.ratios.rank, 0)} of ranks`,
    why: 'the paper’s ratios; move them in the explorer while the masks learn',
  },
  { name: 'Then', value: `${LIGHT_PEFT_DEMO.steps} steps on the pruned model`, why: 'a fresh optimizer, and each step is cheaper' },
  { name: 'Live view', value: `masks read every ${LIGHT_PEFT_DEMO.snapshotEvery} steps`, why: 'one read-back each: under 1% of the step time' },
];

export function DemoCard({ ownOpen, onOwn }: { ownOpen: boolean; onOwn: () => void }) {
  const gpuReady = useApp((s) => s.gpu.status === 'done');
  const status = useTrain((s) => s.status);
  const preparing = useTrain((s) => s.preparing);
  const startDemo = useTrain((s) => s.startDemo);
  const link = useLink();
  const loadModel = useSetup((s) => s.loadModel);
  const modelLoading = useSetup((s) => s.modelLoading);
  const training = isTraining(status);
  const linkedHub = link.opened?.model?.kind === 'hub' ? link.opened.model.modelId : null;
  const withLink = link.hasSettings && link.opened?.model?.kind === 'demo';

  return (
    <section className="panel demo-card" aria-labelledby="demo-heading" data-testid="demo-card" data-tour="demo">
      <h2 id="demo-heading">See Light-PEFT prune a model while it learns</h2>
      <p>
        A small RoBERTa (4 layers, 4 heads each) learns to tell spam from ordinary e-mail. Light-PEFT puts a learnable mask on
        every attention head and FFN dimension: watch them fall or hold, move the pruning ratios, prune, and compare.
      </p>
      <div className="row">
        <button type="button" className="big" disabled={!gpuReady || training} onClick={() => {
            void startDemo(withLink);
            // The run shows up in the Train panel, with the masks right under it.
            document.getElementById('train-heading')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
          }}
          data-testid="demo-start"
        >
          {status === 'preparing' ? (preparing ?? 'Preparing…') : training ? 'Running…' : withLink ? 'Start the demo with this link’s settings' : 'Start the demo'}
        </button>
        <button type="button" className="secondary" aria-expanded={ownOpen} aria-controls="own-setup" onClick={onOwn} data-testid="own-setup-toggle">
          {ownOpen ? 'Hide model and data' : 'Use your own model and data'}
        </button>
        {!gpuReady && <span className="muted small">Waiting for WebGPU (see “Your GPU” below).</span>}
      </div>
      {linkedHub && (
        <p className="note small" data-testid="link-hub">
          This link names the Hub model <strong>{linkedHub}</strong>.{' '}
          <button type="button" className="link" disabled={modelLoading !== null || training} onClick={() => void loadModel({ kind: 'hub', modelId: linkedHub }, 'Downloading from the Hugging Face Hub')}>
            Load it
          </button>{' '}
          (it downloads from huggingface.co), then load your data in 2 Data.
        </p>
      )}
      {link.ignored.length > 0 && (
        <div className="note small" data-testid="link-ignored">
          Parts of this link were not used:
          <ul>
            {link.ignored.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
      )}
      <details className="demo-settings">
        <summary>What the demo runs, and why</summary>
        <dl className="facts">
          {DEMO_SETTINGS.map((s) => (
            <div key={s.name} className="fact-row">
              <dt>{s.name}</dt>
              <dd>
                {s.value} <span className="muted small">— {s.why}</span>
              </dd>
            </div>
          ))}
        </dl>
        <p className="muted small">Every setting is in the Train form below (and in this page’s address, to share or reopen).</p>
      </details>
    </section>
  );
}
