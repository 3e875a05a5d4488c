#!/usr/bin/python3
"""A random initialisation of the demo model's shape, as a model folder the CLI and the app load.

    /usr/bin/python3 tools/demo/random_init.py OUT [--seed 0]

Writes OUT/config.json and OUT/tokenizer*.json (copied from public/demo/model) and
OUT/model.safetensors: the encoder of a fresh SequenceClassifier with HF's initialisation (normal
0.02, LayerNorm 1/0), seeded as evaluate_demo.py seeds its random-init runs. It is the "random
initialisation" baseline of the demo model's README, for measuring it with `light-peft train`.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.normpath(os.path.join(HERE, "..", "..", "public", "demo", "model"))
sys.path.insert(0, HERE)
from pretrain import SequenceClassifier, encoder_state  # noqa: E402  (pretrain puts tools/reference on the path)
from safetensors_io import write_safetensors  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with open(os.path.join(MODEL, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    torch.manual_seed(args.seed)
    model = SequenceClassifier(cfg, num_labels=2)
    os.makedirs(args.out, exist_ok=True)
    write_safetensors(os.path.join(args.out, "model.safetensors"), encoder_state(model.roberta), {"format": "pt"})
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(MODEL, name), os.path.join(args.out, name))
    print(f"wrote a random-init model (seed {args.seed}) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
