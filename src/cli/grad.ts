/**
 * light-peft grad: one forward + backward in evaluation mode; writes logits, losses, every
 * trainable gradient and this step's Light-PEFT scores to a safetensors file.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { INTEGER, NON_NEGATIVE, numberOption, parseOptions, POSITIVE, POSITIVE_INTEGER, requireOption } from './args';
import { GRAD_USAGE } from './usage';
import { UsageError } from './errors';
import { nodeDirReader } from '../platform/node/dir-reader';
import { modelReader } from './model-source';
import { acquireNodeGpu } from '../platform/node/gpu';
import { GpuContext } from '../gpu/context';
import { BadInputError } from '../errors';
import { readModelDir, readPeftDir } from '../engine/model/model-dir';
import { writeSafetensors } from '../engine/io/safetensors';
import { WeightSource } from '../engine/model/weights';
import { buildModel } from '../engine/model/build';
import { parseBatchJson, uploadBatch } from '../engine/model/batch';
import { parseLoraTargets, type PeftConfig } from '../engine/model/peft';
import { moduleScoreName, rankScoreName } from '../engine/model/names';
import { gradientStep } from '../engine/train/step';

export const OPTIONS = {
  model: { type: 'string' },
  revision: { type: 'string' },
  'hf-token': { type: 'string' },
  batch: { type: 'string' },
  out: { type: 'string' },
  'lora-r': { type: 'string' },
  'lora-alpha': { type: 'string' },
  'lora-targets': { type: 'string' },
  'adapter-init': { type: 'string' },
  masks: { type: 'string' },
  'lambda-head': { type: 'string' },
  'lambda-ffn': { type: 'string' },
  seed: { type: 'string' },
} as const;

export async function gradCommand(args: string[]): Promise<void> {
  const o = parseOptions(args, OPTIONS, 'grad', GRAD_USAGE);
  const modelDir = requireOption(o.model, 'model', 'grad');
  const batchFile = requireOption(o.batch, 'batch', 'grad');
  const outFile = requireOption(o.out, 'out', 'grad');
  const lambdaHead = numberOption(o['lambda-head'], 'lambda-head', 0, NON_NEGATIVE);
  const lambdaFfn = numberOption(o['lambda-ffn'], 'lambda-ffn', 0, NON_NEGATIVE);

  const { config, weights } = await readModelDir(modelReader(modelDir, 'grad', { revision: o.revision, token: o['hf-token'] }).reader);
  let peft: PeftConfig;
  let peftInit: WeightSource | undefined;
  if (o['adapter-init']) {
    if (o['lora-r'] || o['lora-alpha'] || o['lora-targets']) {
      throw new UsageError('grad: --adapter-init takes r, alpha and targets from its adapter_config.json; drop --lora-r/--lora-alpha/--lora-targets');
    }
    ({ peft, init: peftInit } = await readPeftDir(nodeDirReader(o['adapter-init'])));
  } else {
    let targets;
    try {
      targets = parseLoraTargets(o['lora-targets'] ?? 'query,value');
    } catch (e) {
      throw new UsageError(`grad: --lora-targets: ${(e as Error).message}`);
    }
    peft = {
      kind: 'lora',
      rank: numberOption(o['lora-r'], 'lora-r', 8, POSITIVE_INTEGER),
      alpha: numberOption(o['lora-alpha'], 'lora-alpha', 16, POSITIVE),
      targets,
    };
  }
  const masks = o.masks ? WeightSource.fromBytes([{ bytes: await readBytes(o.masks), file: o.masks }]) : undefined;
  const batchJson = await readJsonFile(batchFile);
  const host = parseBatchJson(batchJson, config, batchFile);
  if (!host.labels) throw new BadInputError(batchFile, 'labels', 'is missing; grad needs labels for the loss');

  const ctx = new GpuContext(await acquireNodeGpu());
  const model = await buildModel(ctx, { config, weights, peft, peftInit, masks, trainMasks: true, seed: numberOption(o.seed, 'seed', 0, INTEGER) });
  const batch = uploadBatch(ctx, host);
  const step = gradientStep(model, batch, { lambdaHead, lambdaFfn, scoreBeta: 0 });

  const out: Array<[string, { data: Float32Array; shape: number[] }]> = [];
  const put = async (name: string, t: { shape: readonly number[] } & Parameters<GpuContext['read']>[0], shape = [...t.shape]) =>
    out.push([name, { data: await ctx.read(t), shape }]);
  await put('logits', step.forward.logits);
  await put('loss', step.totalLoss);
  await put('loss.task', step.taskLoss);
  for (const p of model.trainableParams()) await put(`grad.${p.name}`, p.grad);
  for (const m of model.peftModules()) {
    await put(rankScoreName(m.module), m.rankScore);
    await put(moduleScoreName(m.module), m.importance);
  }
  await writeFile(outFile, writeSafetensors(out, { format: 'pt', producer: 'light-peft grad' }));
  process.stdout.write(`wrote ${out.length} tensors to ${outFile} (loss ${out[1][1].data[0].toFixed(6)})\n`);
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    throw new BadInputError(file, null, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

async function readJsonFile(file: string): Promise<unknown> {
  const bytes = await readBytes(file);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new BadInputError(file, null, `is not valid JSON: ${(e as Error).message}`);
  }
}
