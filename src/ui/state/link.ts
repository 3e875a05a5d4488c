/**
 * Keeps the page's URL in step with the run's settings (see url.ts): read once when the page
 * opens, then rewritten (history.replaceState, no new history entry) whenever the form, the model
 * or the data change.
 */
import { create } from 'zustand';
import { decodeLink, encodeLink, type LinkedSources } from './url';
import { demoDataIsLoaded, useTrain } from './train';
import { useSetup } from './setup';

export interface LinkState {
  /** What the link the page was opened with named (null: it named nothing). */
  opened: LinkedSources | null;
  /** The page was opened with settings in its link: the demo button keeps them. */
  hasSettings: boolean;
  /** Parameters of that link that were ignored, and why. */
  ignored: string[];
}

export const useLink = create<LinkState>()(() => ({ opened: null, hasSettings: false, ignored: [] }));

/** Applies the link's settings to the form, then follows every change. Call once, at start-up. */
export function syncLinkWithSettings(location: Location, history: History): void {
  const decoded = decodeLink(location.search);
  const hasSettings = Object.keys(decoded.form).length > 0;
  const named = decoded.sources.model !== null || decoded.sources.data !== null;
  useLink.setState({ opened: named ? decoded.sources : null, hasSettings, ignored: decoded.ignored });
  if (hasSettings) useTrain.getState().setForm(decoded.form);

  const write = () => {
    const query = encodeLink(useTrain.getState().form, currentSources(useLink.getState().opened));
    const url = `${location.pathname}?${query}${location.hash}`;
    if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(history.state, '', url);
  };
  write();
  useTrain.subscribe((s, before) => s.form !== before.form && write());
  useSetup.subscribe((s, before) => (s.model !== before.model || s.tables !== before.tables) && write());
}

/** The sources loaded now when a link can name them; before anything is loaded, those the page was opened with. */
function currentSources(opened: LinkedSources | null): LinkedSources {
  const { model, tables } = useSetup.getState();
  const linkedModel: LinkedSources['model'] = !model ? (opened?.model ?? null) : model.sourceKind === 'demo' ? { kind: 'demo' } : model.sourceKind === 'hub' ? { kind: 'hub', modelId: model.name } : null;
  const linkedData: LinkedSources['data'] = !tables ? (opened?.data ?? null) : demoDataIsLoaded() ? { kind: 'demo' } : null;
  return { model: linkedModel, data: linkedData };
}
