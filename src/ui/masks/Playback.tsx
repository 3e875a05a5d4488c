/** Plays back how the masks evolved: a slider over the kept snapshots, and a way back to following the latest. */
import { useLightPeft } from '../state/lightpeft';

export function Playback() {
  const snapshots = useLightPeft((s) => s.snapshots);
  const playback = useLightPeft((s) => s.playback);
  const setPlayback = useLightPeft((s) => s.setPlayback);
  const index = playback ?? snapshots.length - 1;
  const shown = snapshots[index];
  return (
    <div className="playback row tight" data-tour="playback">
      <label className="small">
        Snapshot{' '}
        <input
          type="range"
          min={0}
          max={Math.max(0, snapshots.length - 1)}
          value={Math.max(0, index)}
          onChange={(event) => setPlayback(Number(event.target.value))}
          disabled={snapshots.length < 2}
          aria-valuetext={shown ? `step ${shown.step}, ${shown.stage}` : 'none'}
          data-testid="snapshot-playback"
        />
      </label>
      <span className="small" data-testid="snapshot-shown">
        {shown ? `step ${shown.step} (${shown.stage})` : '—'} · {snapshots.length} kept
      </span>
      <button type="button" className="secondary small" disabled={playback === null} onClick={() => setPlayback(null)} data-testid="snapshot-follow">
        Follow the latest
      </button>
    </div>
  );
}
