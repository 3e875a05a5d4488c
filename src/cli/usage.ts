/**
 * What `light-peft --help` and `light-peft <command> --help` print. Each command's text names
 * every option its OPTIONS object accepts (test/cli-help.test.ts checks it, so they cannot drift).
 */
import { ADAPTER_DEFAULTS, BASELINE_SCHEDULE, LIGHT_PEFT_DEFAULTS as LP, LORA_DEFAULTS, NON_FINITE_DEFAULTS as NF, TRAINING_DEFAULTS as T } from '../engine/train/defaults';

const MODEL_OPTIONS = `  --model DIR|HUB_ID          a folder (config.json, model.safetensors or shards, tokenizer files) or a
                              Hugging Face model id such as FacebookAI/roberta-base, downloaded once
                              into ~/.cache/light-peft/hub
  --revision REV              branch, tag or commit of a Hub model (default: main)
  --hf-token TOKEN            access token for a gated or private Hub model (default: $HF_TOKEN)`;

const DATA_COLUMNS = `  --text-column C             the text column (default: guessed, e.g. text, sentence, sentence1)
  --text-pair-column C2       a second text, for sentence pairs (default: guessed, e.g. sentence2)
  --label-column L            the label column; label strings become ids (default: guessed, e.g. label)`;

const RATIOS = `  --head-ratio F              share of attention heads to prune (default 0.333)
  --ffn-ratio F               share of FFN dimensions to prune (default 0.333)
  --module-ratio F            share of PEFT modules to prune, lowest Importance Ratio first (default 0.75)
  --rank-ratio F              share of the surviving modules' ranks to prune, lowest Taylor score first
                              (default 0.5)
  --head-scope layer|global   heads ranked within each layer (default) or across all layers
  --ffn-scope global|layer    FFN dimensions ranked across all layers (default) or within each layer
  Counts are exact: round(ratio·N), ties broken by index; no layer loses all its heads or FFN dimensions.`;

const HELP = `  -h, --help                  this text`;

export const GRAD_USAGE = `usage: light-peft grad --model DIR|HUB_ID --batch BATCH.json --out OUT.safetensors [options]

One forward and backward pass in evaluation mode (no dropout) on one batch. Writes logits, loss,
loss.task, grad.<name> for every trainable tensor (HF PEFT names for LoRA factors) and this step's
Light-PEFT scores score.rank.<module> and score.module.<module>, as one safetensors file.

${MODEL_OPTIONS}
  --batch BATCH.json          {"input_ids": [[...]], "attention_mask": [[...]], "labels": [...]}
  --out OUT.safetensors       the file to write
  --lora-r R                  LoRA rank (default 8)
  --lora-alpha A              LoRA alpha; the LoRA path is scaled by alpha/r (default 16)
  --lora-targets LIST         comma-separated, of query, key, value, attention.output.dense,
                              intermediate.dense, output.dense (default query,value)
  --adapter-init DIR          start from an HF PEFT adapter folder (LoRA or bottleneck adapter) instead;
                              its adapter_config.json gives r, alpha and targets, so no --lora-* with it
  --masks FILE                head and FFN mask values as safetensors, under their HF names (default: 1)
  --lambda-head L             L1 weight on the head masks, added to the loss (default 0)
  --lambda-ffn L              L1 weight on the FFN masks, added to the loss (default 0)
  --seed S                    seed of the fresh LoRA and classifier initialisation (default 0)
${HELP}

Bad arguments or files print one line naming the file and the problem, exit code 2.
`;

export const TRAIN_USAGE = `usage: light-peft train --model DIR|HUB_ID --data FILE --out DIR [options]

Fine-tunes a classifier on a frozen base model: LoRA or bottleneck adapters (--method lora), or
Light-PEFT (--method light-peft): estimate which heads, FFN dimensions, PEFT modules and ranks
matter, prune them physically, then train the pruned model. Writes report.json, curves.csv,
evaluations.csv and adapter/ (an HF PEFT folder); Light-PEFT also writes scores.safetensors and
pruned-model/ (with pruning.json).

model and data:
${MODEL_OPTIONS}
  --data FILE                 training data: CSV, TSV, JSONL or a JSON array
  --eval-data FILE            validation data (default: a seeded, stratified share of --data)
  --validation-fraction F     that share, when there is no --eval-data (default ${T.validationFraction})
${DATA_COLUMNS}
  --max-length N              tokens per example, longer ones truncated (default ${T.maxLength})
  --out DIR                   the folder to write (created)

method:
  --method lora|light-peft    (default lora)
  --peft lora|adapter         LoRA on linear layers, or bottleneck adapters after each sub-layer's
                              dense projection (default lora)
  --lora-r R                  LoRA rank (default ${LORA_DEFAULTS.rank})
  --lora-alpha A              LoRA alpha; the LoRA path is scaled by alpha/r (default ${LORA_DEFAULTS.alpha})
  --lora-targets LIST         comma-separated, of query, key, value, attention.output.dense,
                              intermediate.dense, output.dense (default query,value for lora; all six
                              for light-peft)
  --adapter-size N            bottleneck units of each adapter (default ${ADAPTER_DEFAULTS.size})
  --no-dropout                no dropout anywhere: not the model's (config.json), not LoRA's on its
                              input (${LORA_DEFAULTS.dropout}), not the adapters' (${ADAPTER_DEFAULTS.dropout})

budget and schedule (AdamW, linear warm-up then linear decay to 0):
  --steps N | --epochs E      lora: the whole run (default ${BASELINE_SCHEDULE.epochs} epochs). light-peft: phase 2, training
                              the pruned model (default ${LP.training.epochs} epochs)
  --batch-size N              examples per step (default ${T.batchSize})
  --lr LR                     peak learning rate (default ${BASELINE_SCHEDULE.lr.toExponential()}; light-peft: of both phases)
  --warmup-ratio F            warm-up share of the run (lora, default ${BASELINE_SCHEDULE.warmupRatio}) or of phase 2
                              (light-peft, default ${LP.training.warmupRatio})
  --weight-decay W            AdamW weight decay of the PEFT weights and the classifier; masks never
                              decay (default ${BASELINE_SCHEDULE.weightDecay} for lora; light-peft: ${LP.training.weightDecay}, in both phases)
  --max-grad-norm N           clip the global gradient norm to N, as Hugging Face's Trainer does
                              (default ${T.maxGradNorm}; 0: no clipping)
  --seed S                    seed of the initialisation, the shuffling, dropout and the held-out
                              share (default ${T.seed})
  --log-every N               read the loss back every N steps (default ${T.logEvery})
  --on-nan stop|rollback      a NaN or infinite loss or gradient norm (that step's update is skipped
                              either way): stop (default), or go back to the last good state (kept
                              every ${NF.goodStateEvery} steps or so) and go on at ${NF.lrFactor}× the learning rate, up to
                              ${NF.maxRollbacks} times
  --eval-every N              evaluate the validation data every N steps (default 0: only at the end)

light-peft:
  --estimate-steps N          phase 1, estimation: its own run with its own schedule; scores are
                              averaged over its second half (default min(${LP.estimation.maxSteps}, one epoch))
  --estimate-warmup-ratio F   warm-up share of the estimation run (default ${LP.estimation.warmupRatio})
  --lambda-head L             L1 weight on the head masks during estimation (default ${LP.lambdaHead.toExponential()})
  --lambda-ffn L              L1 weight on the FFN masks during estimation (default ${LP.lambdaFfn.toExponential()})
  --mask-lr-multiplier M      the masks' learning rate is --lr times this (default ${LP.maskLrMultiplier})
${RATIOS}

${HELP}
`;

export const EVAL_USAGE = `usage: light-peft eval --model DIR|HUB_ID [--adapter DIR] --data FILE [options]

Metrics (accuracy, macro-F1, MCC, loss, predictions per label) of a fine-tuned model, or of a base
model with an HF PEFT adapter, on a dataset; printed as JSON.

${MODEL_OPTIONS}
  --adapter DIR               an HF PEFT adapter folder, e.g. a train run's adapter/ (it brings the
                              classifier and the labels)
  --data FILE                 CSV, TSV, JSONL or a JSON array
${DATA_COLUMNS}
  --max-length N              tokens per example, longer ones truncated (default 128)
  --batch-size N              examples per forward pass (default 64)
${HELP}
`;

export const PLAN_USAGE = `usage: light-peft plan --scores RUN/scores.safetensors [options]

Redoes the Light-PEFT pruning plan from a train run's saved scores with other ratios, without a GPU,
and prints it as JSON (kept heads, FFN dimensions, modules and ranks; counts; predicted parameters
and FLOPs before and after).

  --scores FILE               scores.safetensors written by light-peft train --method light-peft
${RATIOS}
${HELP}
`;

export function mainUsage(commands: Record<string, { summary: string }>): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const list = Object.entries(commands)
    .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
    .join('\n');
  return `usage: light-peft <command> [options]

commands:
${list}

light-peft <command> --help shows a command's options.
`;
}
