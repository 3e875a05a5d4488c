#!/usr/bin/python3
"""Check that the demo model is worth shipping: LoRA fine-tuning on the demo task, pre-trained vs random.

    nice -n 10 /usr/bin/python3 tools/demo/evaluate_demo.py

For each initialisation (the pre-trained public/demo/model, and a random model of the same
shape with HF's initialisation) and each learning rate (--lrs, default 5e-4, 1e-3 and 3e-3), in plain
torch: freeze the encoder, add LoRA r=8, alpha=16 on query and value (PEFT's init: A
kaiming-uniform, B = 0) and a fresh classification head (RobertaClassificationHead, trained),
fine-tune on public/demo/data/train.csv for 300 steps of 16 examples (shuffled epochs,
truncation to 128 tokens, dynamic padding), AdamW (betas 0.9/0.999, eps 1e-8, weight decay
0.01) with the app's schedule (6% linear warmup, linear decay), dropout 0.1 as in training
mode; then accuracy on public/demo/data/validation.csv (eval mode). Prints a table and writes
it as JSON to --work/evaluation.json.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from pretrain import (PAD_ID, MAX_TOKENS, CachedBPE, SequenceClassifier, adamw_groups,  # noqa: E402
                      load_encoder, lr_at)

DATA = os.path.join(REPO, "public", "demo", "data")


def read_split(path: str) -> tuple[list[str], list[str]]:
    csv.field_size_limit(1 << 24)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def pad_batch(sequences: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Dynamic padding to the longest sequence: (input_ids [B,T], attention_mask [B,T])."""
    T = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), T), PAD_ID, dtype=torch.long)
    mask = torch.zeros((len(sequences), T), dtype=torch.long)
    for i, s in enumerate(sequences):
        ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
    return ids, mask


def batch_order(n: int, batch: int, steps: int, generator: torch.Generator) -> list[list[int]]:
    """Example indices of each step: shuffled epochs, the short last batch of an epoch dropped."""
    out: list[list[int]] = []
    while len(out) < steps:
        perm = torch.randperm(n, generator=generator).tolist()
        out += [perm[i:i + batch] for i in range(0, n - batch + 1, batch)]
    return out[:steps]


def finetune_and_evaluate(cfg: dict, init: str, model_dir: str, lr: float, train, validation, args) -> dict:
    torch.manual_seed(args.seed)  # the same random init, LoRA init and dropout for every run
    model = SequenceClassifier(cfg, num_labels=2)
    if init == "pretrained":
        load_encoder(model.roberta, os.path.join(model_dir, "model.safetensors"))
    for p in model.parameters():
        p.requires_grad_(False)
    for p in model.classifier.parameters():
        p.requires_grad_(True)
    lora = model.add_lora(args.r, args.alpha)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    optimizer = torch.optim.AdamW(adamw_groups(model, 0.01), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    assert sum(p.numel() for g in optimizer.param_groups for p in g["params"]) == trainable and lora

    (train_ids, train_labels), (val_ids, val_labels) = train, validation
    order = batch_order(len(train_ids), args.batch, args.steps, torch.Generator().manual_seed(args.seed))
    warmup = round(0.06 * args.steps)
    model.train()
    started = time.time()
    losses = []
    for step, indices in enumerate(order):
        ids, mask = pad_batch([train_ids[i] for i in indices])
        labels = torch.tensor([train_labels[i] for i in indices])
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, args.steps, lr, warmup)
        loss = F.cross_entropy(model(ids, mask), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    train_seconds = time.time() - started

    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(val_ids), 64):
            ids, mask = pad_batch(val_ids[i:i + 64])
            predictions = model(ids, mask).argmax(dim=-1)
            correct += int((predictions == torch.tensor(val_labels[i:i + 64])).sum())
    return {
        "init": init, "lr": lr, "accuracy": correct / len(val_ids), "correct": correct, "count": len(val_ids),
        "trainable_parameters": trainable, "first_loss_mean_20": sum(losses[:20]) / 20,
        "last_loss_mean_20": sum(losses[-20:]) / 20, "train_seconds": round(train_seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=os.path.join(REPO, "public", "demo", "model"))
    parser.add_argument("--work", default="/tmp/lps-demo")
    parser.add_argument("--lrs", default="5e-4,1e-3,3e-3", help="comma-separated learning rates")
    parser.add_argument("--inits", default="pretrained,random")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--r", type=int, default=8)
    parser.add_argument("--alpha", type=float, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    with open(os.path.join(args.model, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    label2id = cfg["label2id"]
    tokenizer = CachedBPE(os.path.join(args.model, "tokenizer.json"))
    if tokenizer.vocab_size != cfg["vocab_size"]:
        raise SystemExit(f"error: tokenizer has {tokenizer.vocab_size} tokens, config.json says {cfg['vocab_size']}")

    def encoded(split: str):
        texts, labels = read_split(os.path.join(DATA, split))
        return [tokenizer.encode_truncated(t, MAX_TOKENS) for t in texts], [label2id[l] for l in labels]

    train, validation = encoded("train.csv"), encoded("validation.csv")
    counts = [validation[1].count(c) for c in range(len(label2id))]
    majority = max(counts) / len(validation[1])
    print(f"train {len(train[0])} examples, validation {len(validation[0])} (majority rate {majority:.1%})", file=sys.stderr)

    results = []
    for init in args.inits.split(","):
        for lr in (float(x) for x in args.lrs.split(",")):
            r = finetune_and_evaluate(cfg, init, args.model, lr, train, validation, args)
            results.append(r)
            print(f"{init:10s} lr {lr:.0e}: validation accuracy {r['accuracy']:.1%} ({r['correct']}/{r['count']}), "
                  f"loss {r['first_loss_mean_20']:.3f} -> {r['last_loss_mean_20']:.3f}, {r['train_seconds']:.0f} s",
                  file=sys.stderr, flush=True)

    print("| init | lr | validation accuracy | train loss (first 20 → last 20 steps) |")
    print("| --- | ---: | ---: | --- |")
    for r in results:
        print(f"| {r['init']} | {r['lr']:.0e} | {r['accuracy']:.1%} ({r['correct']}/{r['count']}) | "
              f"{r['first_loss_mean_20']:.3f} → {r['last_loss_mean_20']:.3f} |")
    print(f"| majority class (ham) | | {majority:.1%} | |")
    os.makedirs(args.work, exist_ok=True)
    with open(os.path.join(args.work, "evaluation.json"), "w") as f:
        json.dump({"settings": {k: v for k, v in vars(args).items()}, "majority_rate": majority, "results": results}, f, indent=2)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
