/**
 * A training run's state as named host tensors (for IndexedDB checkpoints) and back: every
 * trainable tensor under its export name, the optimizer's moments, Light-PEFT's running scores.
 */
import type { RobertaModel } from '../model/roberta';
import type { AdamW } from './optimizer';
import type { StoredTensor } from './checkpoint-store';
import type { Tensor } from '../../gpu/buffers';
import { ADAM_STEP, adamMomentName, moduleScoreName, rankScoreName, stateParamName } from '../model/names';

type Named = Array<[string, Tensor]>;

function stateTensors(model: RobertaModel, optimizer: AdamW): Named {
  const named: Named = [];
  for (const p of model.trainableParams()) {
    const { m, v } = optimizer.moments(p);
    named.push([stateParamName(p.name), p.tensor], [adamMomentName('m', p.name), m], [adamMomentName('v', p.name), v]);
  }
  for (const module of model.peftModules()) {
    named.push([moduleScoreName(module.module), module.importance], [rankScoreName(module.module), module.rankScore]);
  }
  return named;
}

/** Every state tensor, read back in one batch. */
export async function captureTrainingState(model: RobertaModel, optimizer: AdamW): Promise<Map<string, StoredTensor>> {
  const out = new Map<string, StoredTensor>();
  const named = stateTensors(model, optimizer);
  const data = await model.ctx.readMany(named.map(([, t]) => t));
  named.forEach(([name, t], i) => out.set(name, { shape: [...t.shape], data: data[i] }));
  out.set(ADAM_STEP, { shape: [1], data: Float32Array.of(optimizer.step) });
  return out;
}

/** Restores a state captured from a model of the same structure; names what does not fit. */
export function restoreTrainingState(model: RobertaModel, optimizer: AdamW, stored: Map<string, StoredTensor>): void {
  for (const [name, t] of stateTensors(model, optimizer)) {
    const s = stored.get(name);
    if (!s) throw new Error(`checkpoint has no ${name}; it was saved from a different model or method`);
    if (s.data.length !== t.size) throw new Error(`checkpoint's ${name} has ${s.data.length} values, the model needs ${t.size}`);
    model.ctx.upload(t, s.data);
  }
  optimizer.step = stored.get(ADAM_STEP)?.data[0] ?? 0;
}
