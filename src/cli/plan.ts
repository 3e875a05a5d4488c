/** light-peft plan: redo the pruning plan from a run's scores.safetensors with other ratios (no GPU). */
import { readFile } from 'node:fs/promises';
import { parseOptions, requireOption } from './args';
import { PLAN_USAGE } from './usage';
import { RATIO_OPTIONS, ratiosFromOptions } from './ratios';
import { BadInputError } from '../errors';
import { planPruning } from '../shared/pruning-plan';
import { scoresFromSafetensors } from '../engine/lightpeft/scores';

export const OPTIONS = { scores: { type: 'string' }, ...RATIO_OPTIONS } as const;

export async function planCommand(args: string[]): Promise<void> {
  const o = parseOptions(args, OPTIONS, 'plan', PLAN_USAGE);
  const file = requireOption(o.scores, 'scores', 'plan');
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw new BadInputError(file, null, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the path`);
  }
  const plan = planPruning(scoresFromSafetensors(bytes, file), ratiosFromOptions(o, 'plan'));
  process.stdout.write(JSON.stringify(plan, null, 2) + '\n');
}
