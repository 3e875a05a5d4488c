/**
 * The run's settings in the page's URL, so a page can be shared and reopened to the same setup (as
 * TensorFlow Playground does): every field of the Train form, and the model and data when they are
 * the built-in demo or a Hugging Face Hub id (files from a computer cannot be named in a link).
 * Pure: encode a form to a query string, decode a query string into the fields it sets validly,
 * with a note for each one it ignores.
 */
import { LORA_TARGETS, type LoraTarget } from '../../shared/peft-targets';
import { NON_FINITE_POLICIES, type NonFinitePolicy } from '../../shared/training';
import type { TrainForm } from './train';

/** Where the link says the model and data come from (null: it does not say). */
export interface LinkedSources {
  model: { kind: 'demo' } | { kind: 'hub'; modelId: string } | null;
  data: { kind: 'demo' } | null;
}

export interface DecodedLink {
  /** The form fields the link sets (only valid ones). */
  form: Partial<TrainForm>;
  sources: LinkedSources;
  /** One line per parameter that was ignored, saying why. */
  ignored: string[];
}

/** 'int': a whole number ≥ 0; 'positive': > 0; 'nonNegative': ≥ 0; 'ratio': from 0 to 1. */
type NumberKind = 'int' | 'positive' | 'nonNegative' | 'ratio';
type FieldKind = NumberKind | 'method' | 'targets' | 'boolean' | 'scope' | 'onNonFinite';

/** Every form field, how it is written in the link. One table, so a new field cannot be forgotten by one side. */
const FIELDS: Record<keyof TrainForm, FieldKind> = {
  method: 'method',
  rank: 'int',
  alpha: 'positive',
  targets: 'targets',
  adapterSize: 'int',
  steps: 'int',
  batchSize: 'int',
  lr: 'positive',
  maxLength: 'int',
  seed: 'int',
  dropout: 'boolean',
  checkpointEvery: 'int',
  evalEvery: 'int',
  estimateSteps: 'int',
  lambdaHead: 'nonNegative',
  lambdaFfn: 'nonNegative',
  maskLrMultiplier: 'positive',
  headRatio: 'ratio',
  ffnRatio: 'ratio',
  moduleRatio: 'ratio',
  rankRatio: 'ratio',
  headScope: 'scope',
  ffnScope: 'scope',
  snapshotEvery: 'int',
  onNonFinite: 'onNonFinite',
};

const METHODS: TrainForm['method'][] = ['lora', 'adapter', 'light-peft'];

/** What each kind of number accepts, in the note of a value outside it (the worker checks the finer limits). */
const NUMBER_RULES: Record<NumberKind, { ok: (n: number) => boolean; says: string }> = {
  int: { ok: (n) => Number.isInteger(n) && n >= 0, says: 'a whole number ≥ 0' },
  positive: { ok: (n) => n > 0, says: 'a number > 0' },
  nonNegative: { ok: (n) => n >= 0, says: 'a number ≥ 0' },
  ratio: { ok: (n) => n >= 0 && n <= 1, says: 'a share from 0 to 1' },
};

const isNumberKind = (kind: FieldKind): kind is NumberKind => kind in NUMBER_RULES;
/** An owner/name Hub id, with an optional @revision. */
const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+(@[\w./-]+)?$/;

export function encodeLink(form: TrainForm, sources: LinkedSources): string {
  const params = new URLSearchParams();
  if (sources.model) params.set('model', sources.model.kind === 'demo' ? 'demo' : `hub:${sources.model.modelId}`);
  if (sources.data) params.set('data', 'demo');
  for (const key of Object.keys(FIELDS) as (keyof TrainForm)[]) {
    const value = form[key];
    params.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  return params.toString();
}

export function decodeLink(query: string): DecodedLink {
  const params = new URLSearchParams(query);
  const form: Partial<TrainForm> = {};
  const ignored: string[] = [];
  const sources: LinkedSources = { model: null, data: null };
  const model = params.get('model');
  if (model === 'demo') sources.model = { kind: 'demo' };
  else if (model?.startsWith('hub:') && HUB_ID.test(model.slice(4))) sources.model = { kind: 'hub', modelId: model.slice(4) };
  else if (model !== null) ignored.push(`model=${model}: a link names the built-in demo ("demo") or a Hub model ("hub:owner/name")`);
  const data = params.get('data');
  if (data === 'demo') sources.data = { kind: 'demo' };
  else if (data !== null) ignored.push(`data=${data}: a link can only name the built-in demo data ("demo")`);

  const set = <K extends keyof TrainForm>(key: K, value: TrainForm[K]) => (form[key] = value);
  for (const key of Object.keys(FIELDS) as (keyof TrainForm)[]) {
    const raw = params.get(key);
    if (raw === null) continue;
    const kind = FIELDS[key];
    if (isNumberKind(kind)) {
      if (raw.trim() === '' || !Number.isFinite(Number(raw))) ignored.push(`${key}=${raw}: not a number`);
      else if (!NUMBER_RULES[kind].ok(Number(raw))) ignored.push(`${key}=${raw}: must be ${NUMBER_RULES[kind].says}`);
      else set(key, raw.trim() as never);
    } else if (kind === 'method') {
      if ((METHODS as string[]).includes(raw)) set('method', raw as TrainForm['method']);
      else ignored.push(`method=${raw}: choose ${METHODS.join(', ')}`);
    } else if (kind === 'boolean') {
      if (raw === 'true' || raw === 'false') set(key, (raw === 'true') as never);
      else ignored.push(`${key}=${raw}: true or false`);
    } else if (kind === 'scope') {
      if (raw === 'layer' || raw === 'global') set(key, raw as never);
      else ignored.push(`${key}=${raw}: layer or global`);
    } else if (kind === 'onNonFinite') {
      if ((NON_FINITE_POLICIES as readonly string[]).includes(raw)) set('onNonFinite', raw as NonFinitePolicy);
      else ignored.push(`${key}=${raw}: ${NON_FINITE_POLICIES.join(' or ')}`);
    } else {
      const targets = raw.split(',').filter(Boolean);
      const unknown = targets.filter((t) => !(LORA_TARGETS as readonly string[]).includes(t));
      if (unknown.length === 0 && targets.length > 0) set('targets', LORA_TARGETS.filter((t) => targets.includes(t)) as LoraTarget[]);
      else ignored.push(`targets=${raw}: ${unknown.length ? `unknown layer ${unknown.join(', ')}` : 'none given'}; the layers are ${LORA_TARGETS.join(', ')}`);
    }
  }
  for (const key of params.keys()) {
    if (key !== 'model' && key !== 'data' && !(key in FIELDS)) ignored.push(`${key}=${params.get(key)}: not a setting this page knows`);
  }
  return { form, sources, ignored };
}
