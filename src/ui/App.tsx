import { useApp } from './store';
import type { GpuSummary, SelfCheckResult } from '../workers/protocol';
import { Problem } from './Problem';
import { formatMiB, formatMs } from './format';
import { useState } from 'react';
import { ModelPanel } from './setup/ModelPanel';
import { DataPanel } from './setup/DataPanel';
import { ExportPanel } from './setup/ExportPanel';
import { TrainPanel } from './train/TrainPanel';
import { DemoCard } from './start/DemoCard';
import { useLink } from './state/link';
import { MasksScreen } from './masks/MasksScreen';
import { ExplorerScreen } from './explorer/ExplorerScreen';
import { ResultsScreen } from './results/ResultsScreen';

/** Self-check pass mark: max relative error of the GPU matmul against the float64 CPU reference. */
const SELF_CHECK_TOLERANCE = 1e-5;

/** Remembered for the tab, so a reload keeps the setup panels open once a person opened them. */
const OWN_SETUP_KEY = 'light-peft-studio.own-setup-open';

export function App() {
  const linkedHub = useLink((s) => s.opened?.model?.kind === 'hub');
  const [ownOpen, setOwnOpen] = useState(() => sessionStorage.getItem(OWN_SETUP_KEY) === '1');
  const open = ownOpen || linkedHub;
  const toggleOwn = () => {
    sessionStorage.setItem(OWN_SETUP_KEY, open ? '0' : '1');
    setOwnOpen(!open);
  };
  return (
    <div className="page">
      <header className="masthead">
        <h1>Light-PEFT Studio</h1>
        <p className="tagline">
          Fine-tune RoBERTa in your browser, on your own GPU: LoRA and Adapters with Light-PEFT early pruning of heads, FFN
          dimensions, modules and ranks.
        </p>
      </header>
      <main>
        <DemoCard ownOpen={open} onOwn={toggleOwn} />
        <div id="own-setup" hidden={!open} data-tour="own-setup">
          <ModelPanel />
          <DataPanel />
        </div>
        <TrainPanel />
        <MasksScreen />
        <ExplorerScreen />
        <ResultsScreen />
        <ExportPanel />
        <GpuPanel />
        <SelfCheckPanel />
      </main>
      <footer className="footnote">Everything runs in this tab, in a background worker. Your model and data never leave your machine.</footer>
    </div>
  );
}

function GpuPanel() {
  const gpu = useApp((s) => s.gpu);
  const deviceLost = useApp((s) => s.deviceLost);
  return (
    <section className="panel" data-testid="gpu-panel" data-status={gpu.status}>
      <h2>Your GPU</h2>
      {(gpu.status === 'idle' || gpu.status === 'running') && <p className="muted">Looking for a WebGPU adapter…</p>}
      {gpu.status === 'done' && <GpuDetails gpu={gpu.value} />}
      {gpu.status === 'failed' && <Problem error={gpu.error} />}
      {deviceLost && <Problem error={deviceLost} />}
    </section>
  );
}

function GpuDetails({ gpu }: { gpu: GpuSummary }) {
  const name = [gpu.vendor, gpu.architecture].filter(Boolean).join(' · ') || 'unnamed adapter';
  return (
    <>
      <p className="status ok">
        <span className="dot" aria-hidden />
        <span>
          WebGPU is ready: <strong>{name}</strong>
        </span>
      </p>
      <dl className="facts">
        <dt>Description</dt>
        <dd>{gpu.description || gpu.device || 'not reported by the browser'}</dd>
        <dt>Optional features</dt>
        <dd>{gpu.features.length ? gpu.features.join(', ') : 'none (the plain f32 path is used)'}</dd>
        <dt>Largest storage binding</dt>
        <dd data-testid="max-storage-binding-mib" data-value={gpu.maxStorageBufferBindingSizeMiB}>
          {formatMiB(gpu.maxStorageBufferBindingSizeMiB)}
        </dd>
        <dt>Largest buffer</dt>
        <dd data-testid="max-buffer-mib">{formatMiB(gpu.maxBufferSizeMiB)}</dd>
        <dt>Engine runs in</dt>
        <dd>{describeScope(gpu.scope)}</dd>
      </dl>
      {gpu.maxStorageBufferBindingSizeMiB < 160 && (
        <p className="note">
          This adapter binds at most {formatMiB(gpu.maxStorageBufferBindingSizeMiB)} at once; roberta-base's embedding table
          needs about 150 MiB, so only smaller models will fit.
        </p>
      )}
    </>
  );
}

function SelfCheckPanel() {
  const gpu = useApp((s) => s.gpu);
  const check = useApp((s) => s.selfCheck);
  const run = useApp((s) => s.runSelfCheck);
  const ready = gpu.status === 'done';
  return (
    <section className="panel" data-testid="self-check-panel" data-status={check.status}>
      <h2>Self-check</h2>
      <p className="muted">
        Runs a real kernel on your GPU — a 70×50 · 50×33 matrix product with bias — and compares it with a float64 computation
        on the CPU.
      </p>
      <button type="button" onClick={() => void run()} disabled={!ready || check.status === 'running'} data-testid="self-check-run">
        {check.status === 'running' ? 'Running…' : 'Run a self-check'}
      </button>
      {gpu.status === 'failed' && <p className="muted">The self-check needs a GPU: see above.</p>}
      {check.status === 'done' && <SelfCheckDetails result={check.value} />}
      {check.status === 'failed' && <Problem error={check.error} />}
    </section>
  );
}

function SelfCheckDetails({ result }: { result: SelfCheckResult }) {
  const pass = result.maxRelativeError < SELF_CHECK_TOLERANCE;
  return (
    <div data-testid="self-check-result" data-max-relative-error={result.maxRelativeError} data-scope={result.scope}>
      <p className={`status ${pass ? 'ok' : 'bad'}`}>
        <span className="dot" aria-hidden />
        <span>
          <strong>{pass ? 'Pass' : 'Fail'}</strong>: max relative error {result.maxRelativeError.toExponential(2)} (limit{' '}
          {SELF_CHECK_TOLERANCE.toExponential(0)})
        </span>
      </p>
      <dl className="facts">
        <dt>Problem</dt>
        <dd>{result.problem}</dd>
        <dt>GPU</dt>
        <dd>
          {formatMs(result.gpuMs)} for the kernel and read-back (the first run took {formatMs(result.firstRunMs)}: it compiles
          the kernel)
        </dd>
        <dt>CPU reference</dt>
        <dd>{formatMs(result.cpuMs)}</dd>
        <dt>Ran in</dt>
        <dd>{describeScope(result.scope)}</dd>
      </dl>
    </div>
  );
}

function describeScope(scope: string): string {
  return scope === 'DedicatedWorkerGlobalScope' ? 'a dedicated Web Worker' : scope;
}
