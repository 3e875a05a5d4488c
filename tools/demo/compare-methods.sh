#!/bin/sh
# The README's demo comparison, measured with our CLI (WebGPU in Node): LoRA r=8 on query,value
# (the baseline) against Light-PEFT (the default ratios unless given), same steps, batch, lr and
# seed, on the built-in demo model and e-mails. Prints one JSON summary; the full reports stay in $OUT.
#
#   sh tools/demo/compare-methods.sh [OUT=/tmp/lps-compare] [STEPS=300] [LR=1e-3] [MAX_LENGTH=128] [RATIO OPTIONS...]
#
# Options after the fourth argument go to the Light-PEFT run (e.g. --head-ratio 0.5 --ffn-ratio 0.5).
# The summary is also written to $OUT/summary.json. With RECORD=bench/demo-accuracy.json it also
# replaces that file's run at the same ratios: bench/report.ts reads it for accuracy_delta.
#
# Without a GPU (SwiftShader on 2 cores, ~1–2 GFLOP/s) a step of 16 × 128 tokens takes ~20 s:
# there, use fewer steps and shorter texts (e.g. 150 steps at 48 tokens: ~20 minutes a method).
set -eu
OUT=${1:-/tmp/lps-compare}
STEPS=${2:-300}
LR=${3:-1e-3}
MAX_LENGTH=${4:-128}
[ $# -gt 4 ] && shift 4 || set --
COMMON="--model public/demo/model --data public/demo/data/train.csv --eval-data public/demo/data/validation.csv
  --batch-size 16 --lr $LR --max-length $MAX_LENGTH --seed 0 --log-every 25"
# A baseline already in $OUT (same settings: the caller's word) is reused: comparing several ratio
# sets against one baseline costs one LoRA run.
if [ ! -f "$OUT/lora/report.json" ]; then
  npx light-peft train $COMMON --steps $STEPS --method lora --out "$OUT/lora"
fi
# The same number of steps in all: half estimating, half training the pruned model.
npx light-peft train $COMMON --estimate-steps $((STEPS / 2)) --steps $((STEPS - STEPS / 2)) --method light-peft "$@" --out "$OUT/light-peft"
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
summary.ratios = lp.lightPeft.plan.ratios;
summary.date = new Date().toISOString();
fs.writeFileSync(process.argv[1] + "/summary.json", JSON.stringify(summary, null, 2) + "\n");
if (process.env.RECORD) {
  const record = fs.existsSync(process.env.RECORD) ? JSON.parse(fs.readFileSync(process.env.RECORD, "utf8")) : { command: "", runs: [] };
  record.command = "RECORD=" + process.env.RECORD + " sh tools/demo/compare-methods.sh OUT " + process.argv.slice(2).join(" ");
  const key = (r) => JSON.stringify([r.head, r.ffn, r.module, r.rank, r.headScope, r.ffnScope]);
  record.runs = record.runs.filter((run) => key(run.ratios) !== key(summary.ratios)).concat([summary]);
  fs.writeFileSync(process.env.RECORD, JSON.stringify(record, null, 2) + "\n");
}
console.log(JSON.stringify(summary, null, 2));
' "$OUT" "$STEPS" "$LR" "$MAX_LENGTH" "$@"
