#!/bin/sh
# The README's demo comparison, measured with our CLI (WebGPU in Node): LoRA r=8 on query,value
# (the baseline) against Light-PEFT at the default ratios, same steps, batch, lr and seed, on the
# built-in demo model and e-mails. Prints one JSON summary; the full reports stay in $OUT.
#
#   sh tools/demo/compare-methods.sh [OUT=/tmp/lps-compare] [STEPS=300] [LR=1e-3] [MAX_LENGTH=128]
#
# Without a GPU (SwiftShader on 2 cores, ~1–2 GFLOP/s) a step of 16 × 128 tokens takes ~20 s:
# there, use fewer steps and shorter texts (e.g. 150 steps at 48 tokens: ~20 minutes a method).
set -eu
OUT=${1:-/tmp/lps-compare}
STEPS=${2:-300}
LR=${3:-1e-3}
MAX_LENGTH=${4:-128}
COMMON="--model public/demo/model --data public/demo/data/train.csv --eval-data public/demo/data/validation.csv
  --batch-size 16 --lr $LR --max-length $MAX_LENGTH --seed 0 --log-every 25"
npx light-peft train $COMMON --steps $STEPS --method lora --out "$OUT/lora"
# The same number of steps in all: half estimating, half training the pruned model.
npx light-peft train $COMMON --estimate-steps $((STEPS / 2)) --steps $((STEPS - STEPS / 2)) --method light-peft --out "$OUT/light-peft"
node -e '
const fs = require("fs");
const [lora, lp] = ["lora", "light-peft"].map((m) => JSON.parse(fs.readFileSync(process.argv[1] + "/" + m + "/report.json", "utf8")));
const summary = {
  steps: lora.settings.steps, batch: lora.settings.batchSize, lr: lora.settings.lr, maxLength: lora.settings.maxLength,
  lora: { accuracy: lora.evaluation.accuracy, macroF1: lora.evaluation.macroF1, trainable: lora.parameters.trainable, peft: lora.parameters.peft, trainStepsPerSecond: lora.training.stepsPerSecond },
  lightPeft: {
    accuracy: lp.evaluation.accuracy, macroF1: lp.evaluation.macroF1,
    trainable: lp.lightPeft.parameters.trainable.after, peft: lp.lightPeft.parameters.peft.after, base: lp.lightPeft.parameters.base,
    kept: lp.lightPeft.plan.counts,
    estimationStepsPerSecond: lp.estimation.stepsPerSecond, trainStepsPerSecond: lp.training.stepsPerSecond,
    inferenceSpeedup: lp.lightPeft.inference.beforeSeconds / lp.lightPeft.inference.afterSeconds,
  },
};
summary.accuracyDifference = summary.lightPeft.accuracy - summary.lora.accuracy;
summary.trainableFraction = summary.lightPeft.trainable / summary.lora.trainable; // classifier head included
summary.peftFraction = summary.lightPeft.peft / summary.lora.peft; // the PEFT modules alone
console.log(JSON.stringify(summary, null, 2));
' "$OUT"
