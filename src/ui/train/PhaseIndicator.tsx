/**
 * Where a run is: for Light-PEFT the four stages (estimating → planning → pruning → training the
 * pruned model), each with its own speed once measured; the ETA of the current stage and of the
 * run, live GPU memory, and whether the run is paused.
 */
import { useRef } from 'react';
import type { LightPeftStage } from '../../workers/protocol';
import { formatBytes, formatCount } from '../format';
import type { LiveRun } from '../state/live-run';

const STAGES: { stage: Exclude<LightPeftStage, 'done'>; name: string; says: string }[] = [
  { stage: 'estimating', name: 'Estimating', says: 'masks and scores learn under L1' },
  { stage: 'planning', name: 'Planning', says: 'the plan is made from the scores' },
  { stage: 'pruning', name: 'Pruning', says: 'measured, then rows and columns removed' },
  { stage: 'training', name: 'Training the pruned model', says: 'a fresh optimizer and schedule' },
];

type Rates = { stepsPerSecond: number; tokensPerSecond: number | null };

export function PhaseIndicator({ live, snapshotStep }: { live: LiveRun; snapshotStep: number | null }) {
  // The last speed seen in each stage of this run (the worker reports the current stage's).
  const rates = useRef<{ runId: string; byStage: Partial<Record<LightPeftStage, Rates>> }>({ runId: '', byStage: {} });
  if (rates.current.runId !== live.runId) rates.current = { runId: live.runId, byStage: {} };
  const stage: LightPeftStage = live.stage ?? (live.phase === 'done' ? 'done' : 'training');
  // Only the stages that train steps have a speed of their own: while planning, pruning and after the
  // end the worker still reports the last training stage's speed, which is not theirs.
  if (live.stepsPerSecond !== null && (stage === 'estimating' || stage === 'training')) rates.current.byStage[stage] = { stepsPerSecond: live.stepsPerSecond, tokensPerSecond: live.tokensPerSecond };
  const current = rates.current.byStage[stage === 'planning' || stage === 'pruning' ? 'estimating' : stage];
  const left = Math.max(0, live.totalSteps - live.step);
  const eta = current && current.stepsPerSecond > 0 && live.phase !== 'done' && left > 0 ? left / current.stepsPerSecond : null;
  const shown = live.stage === null ? STAGES.filter((s) => s.stage === 'training') : STAGES;
  const index = STAGES.findIndex((s) => s.stage === stage);

  return (
    <div className="phase-indicator" data-testid="phase-indicator" data-tour="phase-indicator" data-stage={stage} data-paused={String(live.paused)} data-snapshot-step={snapshotStep ?? ''}>
      <ol className="stages" aria-label="Stages of the run">
        {shown.map((s) => {
          const i = STAGES.indexOf(s);
          const state = stage === 'done' || i < index ? 'past' : i === index ? 'now' : 'later';
          const r = rates.current.byStage[s.stage];
          return (
            <li key={s.stage} className={`stage ${state}`} aria-current={state === 'now' ? 'step' : undefined}>
              <span className="stage-name">{live.stage === null ? 'Training' : s.name}</span>
              <span className="stage-says small">{live.stage === null ? 'the PEFT modules and the head' : s.says}</span>
              <span className="stage-rate small">{r ? `${r.stepsPerSecond.toFixed(2)} steps/s · ${formatCount(Math.round(r.tokensPerSecond ?? 0))} tokens/s` : ' '}</span>
            </li>
          );
        })}
      </ol>
      <p className="phase-line small" aria-live="polite">
        {live.paused ? <strong>Paused: everything stays on the GPU. </strong> : null}
        {stage === 'done' ? 'Done.' : left === 0 ? 'All steps trained; measuring the result.' : eta !== null ? `About ${formatDuration(eta)} of training left (${formatCount(left)} steps; evaluations add to it).` : 'Time left: measured at the first loss read-back.'}{' '}
        GPU memory {formatBytes(live.gpuBytes)} (peak {formatBytes(live.peakGpuBytes)}).
      </p>
    </div>
  );
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
