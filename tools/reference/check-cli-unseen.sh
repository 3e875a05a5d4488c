#!/usr/bin/env bash
# Generates a random config the tests have never seen with the PyTorch reference, runs
# `light-peft grad` on it and compares every output tensor. Needs Debian's python3-torch.
# Usage: tools/reference/check-cli-unseen.sh [SEED]
set -euo pipefail
cd "$(dirname "$0")/../.."
seed="${1:-$RANDOM}"
work="$(mktemp -d)"
/usr/bin/python3 - "$seed" > "$work/config.json" <<'PY'
import json, random, sys
r = random.Random(int(sys.argv[1]))
heads = r.choice([1, 2, 3, 5, 6])
head_dim = r.choice([3, 4, 7, 8, 11])
seq = r.randint(5, 13)
targets = ["query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"]
cfg = {
    "seed": int(sys.argv[1]),
    "num_hidden_layers": r.randint(1, 3), "hidden_size": heads * head_dim, "num_attention_heads": heads,
    "intermediate_size": r.randint(5, 70), "vocab_size": r.randint(20, 150), "max_position_embeddings": seq + r.randint(2, 10),
    "num_labels": r.randint(2, 5), "batch_size": r.randint(2, 5), "seq_len": seq,
    "peft": r.choice(["lora", "lora", "adapter"]), "lora_r": r.randint(1, 6), "lora_alpha": r.choice([1, 4, 8, 16, 32]),
    "lora_targets": sorted(r.sample(targets, r.randint(1, 6)), key=targets.index),
    "adapter_size": r.randint(1, 8), "adapter_act": r.choice(["relu", "gelu"]),
    "lambda_head": r.choice([0.0, 1e-4, 0.01]), "lambda_ffn": r.choice([0.0, 1e-4, 0.01]),
}
print(json.dumps(cfg))
PY
echo "config (seed $seed): $(cat "$work/config.json")"
/usr/bin/python3 tools/reference/make_fixtures.py --config "$work/config.json" --out "$work/fx" > /dev/null
lambda_head=$(/usr/bin/python3 -c "import json;print(json.load(open('$work/fx/meta.json'))['lambda_head'])")
lambda_ffn=$(/usr/bin/python3 -c "import json;print(json.load(open('$work/fx/meta.json'))['lambda_ffn'])")
node bin/light-peft.mjs grad --model "$work/fx" --batch "$work/fx/batch.json" --adapter-init "$work/fx/adapter" \
  --masks "$work/fx/masks.safetensors" --lambda-head "$lambda_head" --lambda-ffn "$lambda_ffn" --out "$work/out.safetensors"
node --import tsx tools/reference/compare.ts "$work/out.safetensors" "$work/fx/expected.safetensors" | tail -n 1
