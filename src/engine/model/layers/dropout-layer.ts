/**
 * Dropout in training mode: the seed of every dropout site of a step, and inverted dropout on an
 * activation. Each site draws its keep-mask from a stateless hash of (site seed, element index),
 * so the backward replays the forward's mask from the seed alone.
 *
 * The base model's sites (the embeddings, then per layer the attention probabilities, the attention
 * output and the FFN output, then the classifier's two) take sites 1, 2, 3, … in that order. PEFT
 * modules' dropouts (LoRA input, adapter input) take a site fixed by their layer and place, in a
 * range of their own, so turning them on, or pruning modules, leaves every other mask unchanged.
 */
import type { Tensor } from '../../../gpu/buffers';
import { dropoutBackward, dropoutForward } from '../../../kernels/elementwise';
import type { ModelConfig } from '../config';
import { ADAPTER_SITES, LORA_TARGETS, type AdapterSite, type LoraTarget } from '../names';
import type { BackwardPass, ForwardPass } from './step-pass';

/** The seed of dropout site `site` in the step seeded `stepSeed`. */
export function siteSeed(stepSeed: number, site: number): number {
  return (Math.imul(stepSeed >>> 0, 0x9e3779b1) + Math.imul(site, 0x85ebca6b)) >>> 0;
}

/** First site of the PEFT modules' range, far above the base model's few sites per layer. */
const PEFT_SITE_BASE = 1 << 20;
const PEFT_PLACES: ReadonlyArray<LoraTarget | AdapterSite> = [...LORA_TARGETS, ...ADAPTER_SITES];

/** The dropout site of the PEFT module at `place` (a LoRA target or an adapter site) of layer `layer`. */
export function peftDropoutSite(layer: number, place: LoraTarget | AdapterSite): number {
  return PEFT_SITE_BASE + layer * PEFT_PLACES.length + PEFT_PLACES.indexOf(place);
}

/** A dropout this step: its probability and its site's seed. */
export interface DropoutDraw {
  p: number;
  seed: number;
}

/** One step's dropout: the model's probabilities in training mode (all 0 in evaluation) and its seeds. */
export class StepDropout {
  readonly hidden: number;
  readonly attention: number;
  private site = 0;

  /** `stepSeed` undefined: evaluation, no dropout anywhere. */
  constructor(
    private readonly stepSeed: number | undefined,
    config: ModelConfig,
  ) {
    this.hidden = this.training ? config.hiddenDropout : 0;
    this.attention = this.training ? config.attentionDropout : 0;
  }

  get training(): boolean {
    return this.stepSeed !== undefined;
  }

  /** The next base-model site's seed (drawn in training and in evaluation alike, so the order never shifts). */
  next(): number {
    return siteSeed(this.stepSeed ?? 0, ++this.site);
  }

  /** A PEFT module's dropout this step, or undefined when it is off (evaluation, or p = 0). */
  peft(p: number, site: number): DropoutDraw | undefined {
    if (!this.training || p === 0) return undefined;
    return { p, seed: siteSeed(this.stepSeed!, site) };
  }
}

/** Inverted dropout of n elements into a new tensor; x itself when p = 0. */
export function dropoutLayerForward(pass: ForwardPass, x: Tensor, n: number, draw: DropoutDraw): Tensor {
  if (draw.p === 0) return x;
  const out = pass.alloc([n]);
  dropoutForward(pass.ctx, { x, out, n, p: draw.p, seed: draw.seed });
  return out;
}

/** The dropout's backward into a scratch tensor; dy itself when p = 0. */
export function dropoutLayerBackward(pass: BackwardPass, dy: Tensor, n: number, draw: DropoutDraw): Tensor {
  if (draw.p === 0) return dy;
  const dx = pass.temp([n]);
  dropoutBackward(pass.ctx, { dy, dx, n, p: draw.p, seed: draw.seed });
  return dx;
}

