#!/usr/bin/python3
"""Generate PyTorch reference fixtures for Light-PEFT Studio.

For each config this writes, into <out>/:

  config.json                       HF RobertaConfig (RobertaForSequenceClassification)
  model.safetensors                 base model + classifier, HF names, F32
  adapter/adapter_config.json       HF PEFT LoRA config, or bottleneck adapter config
  adapter/adapter_model.safetensors LoRA (PEFT names) or adapter tensors, F32
  masks.safetensors                 head_mask [nH] / ffn_mask [I] per layer, F32
  batch.json                        input_ids, attention_mask, labels
  meta.json                         the full config dict used
  expected.safetensors              logits, loss, loss.task, hidden_states.{k},
                                    grad.<trainable>, score.rank.<module>,
                                    score.module.<module>, train.losses (F32)

A config with "dropout_seed" computes logits, losses, hidden states, gradients
and scores in training mode, with the engine's dropout masks for that step seed
(reference_model.Dropout); train.losses are always in evaluation mode.

Parameters are random (fixed seed per config) and rounded to float32 before
use; all reference math runs in float64 and is stored as float32.

Usage:
  /usr/bin/python3 tools/reference/make_fixtures.py
      regenerate every built-in config into test/fixtures/<name>/
  /usr/bin/python3 tools/reference/make_fixtures.py --config my.json --out DIR
      generate one custom config (same keys as BUILTIN_CONFIGS entries;
      missing keys take DEFAULTS)
"""

import argparse
import json
import re
import os
import sys
from collections import OrderedDict

import torch

sys.dont_write_bytecode = True  # keep tools/reference free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import reference_model as rm  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES_DIR = os.path.join(REPO_ROOT, "test", "fixtures")

def peft_target_regex(targets):
    """HF PEFT full-matches a string target_modules against module names. A regex names the
    layers exactly: a list would use suffix matching, where "output.dense" also catches
    attention.output.dense."""
    paths = [re.escape(rm.LORA_TARGET_PATHS[t]) for t in rm.LORA_TARGET_PATHS if t in targets]
    return r"roberta\.encoder\.layer\.\d+\.(" + "|".join(paths) + ")"


DEFAULTS = OrderedDict([
    ("seed", 0),
    ("layer_norm_eps", 1e-5),
    ("peft", "lora"),
    ("lora_r", 4),
    ("lora_alpha", 8),
    ("lora_targets", list(rm.LORA_TARGET_PATHS)),
    ("adapter_size", 4),
    ("adapter_act", "relu"),
    ("lambda_head", 0.01),
    ("lambda_ffn", 0.01),
    ("lr", 0.01),
    ("weight_decay", 0.01),
    ("mask_lr_mult", 1.0),
    ("betas", [0.9, 0.999]),
    ("eps", 1e-8),
    ("steps", 10),
])

BUILTIN_CONFIGS = [
    {
        "name": "lora-all", "seed": 2,
        "num_hidden_layers": 2, "hidden_size": 32, "num_attention_heads": 4,
        "intermediate_size": 64, "vocab_size": 120, "max_position_embeddings": 40,
        "num_labels": 2, "batch_size": 3, "seq_len": 9,
        "peft": "lora", "lora_r": 4, "lora_alpha": 8,
        "lora_targets": ["query", "key", "value", "attention.output.dense",
                         "intermediate.dense", "output.dense"],
        "lambda_head": 0.01, "lambda_ffn": 0.005,
        "lr": 0.01, "weight_decay": 0.01, "mask_lr_mult": 5,
    },
    {
        "name": "lora-awkward", "seed": 11,
        "num_hidden_layers": 3, "hidden_size": 30, "num_attention_heads": 3,
        "intermediate_size": 47, "vocab_size": 97, "max_position_embeddings": 34,
        "num_labels": 3, "batch_size": 4, "seq_len": 7,
        "peft": "lora", "lora_r": 3, "lora_alpha": 5,
        "lora_targets": ["query", "value", "intermediate.dense"],
        "lambda_head": 0.02, "lambda_ffn": 0.01,
        "lr": 0.005, "weight_decay": 0.0, "mask_lr_mult": 1,
    },
    {
        "name": "adapter", "seed": 7,
        "num_hidden_layers": 2, "hidden_size": 24, "num_attention_heads": 6,
        "intermediate_size": 40, "vocab_size": 80, "max_position_embeddings": 30,
        "num_labels": 2, "batch_size": 3, "seq_len": 11,
        "peft": "adapter", "adapter_size": 5, "adapter_act": "relu", "adapter_dropout": 0.1,
        "lambda_head": 0.01, "lambda_ffn": 0.01,
        "lr": 0.01, "weight_decay": 0.01, "mask_lr_mult": 3,
    },
    # Training mode (dropout_seed): the engine's dropout masks everywhere, and the
    # PEFT modules' own dropout (LoRA input, adapter input) on top.
    {
        "name": "lora-dropout", "seed": 8, "dropout_seed": 1234,
        "num_hidden_layers": 2, "hidden_size": 24, "num_attention_heads": 4,
        "intermediate_size": 36, "vocab_size": 70, "max_position_embeddings": 20,
        "num_labels": 3, "batch_size": 3, "seq_len": 8,
        "peft": "lora", "lora_r": 4, "lora_alpha": 8, "lora_dropout": 0.2,
        "lora_targets": ["query", "key", "value", "attention.output.dense",
                         "intermediate.dense", "output.dense"],
        "lambda_head": 0.01, "lambda_ffn": 0.005,
        "lr": 0.005, "weight_decay": 0.01, "mask_lr_mult": 1,
    },
    {
        "name": "adapter-dropout", "seed": 9, "dropout_seed": 4321,
        "num_hidden_layers": 2, "hidden_size": 20, "num_attention_heads": 4,
        "intermediate_size": 30, "vocab_size": 60, "max_position_embeddings": 20,
        "num_labels": 2, "batch_size": 3, "seq_len": 9,
        "peft": "adapter", "adapter_size": 4, "adapter_act": "relu", "adapter_dropout": 0.2,
        "lambda_head": 0.01, "lambda_ffn": 0.01,
        "lr": 0.01, "weight_decay": 0.01, "mask_lr_mult": 2,
    },
]

REQUIRED = ["name", "num_hidden_layers", "hidden_size", "num_attention_heads",
            "intermediate_size", "vocab_size", "max_position_embeddings",
            "num_labels", "batch_size", "seq_len"]


# ----------------------------------------------------------------------------
# Config
# ----------------------------------------------------------------------------

def complete_config(raw):
    """Fill defaults, validate, and return the full config dict (meta.json)."""
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise ValueError("config missing keys: %s" % ", ".join(missing))
    cfg = OrderedDict((k, raw[k]) for k in REQUIRED)
    for k, v in DEFAULTS.items():
        cfg[k] = raw.get(k, v)
    for k, v in raw.items():
        cfg.setdefault(k, v)
    validate_config(cfg)
    return cfg


def validate_config(cfg):
    def need(cond, msg):
        if not cond:
            raise ValueError("bad config %s: %s" % (cfg["name"], msg))
    need(cfg["hidden_size"] % cfg["num_attention_heads"] == 0, "hidden_size % heads != 0")
    need(cfg["seq_len"] >= 5, "seq_len must be >= 5")
    need(cfg["batch_size"] >= 2, "batch_size must be >= 2")
    need(cfg["vocab_size"] > 3, "vocab_size must be > 3")
    need(cfg["max_position_embeddings"] >= cfg["seq_len"] + 2,
         "max_position_embeddings must be >= seq_len + 2")
    need(cfg["peft"] in ("lora", "adapter"), "peft must be lora or adapter")
    for key in ("lora_dropout", "adapter_dropout"):
        need(0 <= cfg.get(key, 0.0) < 1, "%s must be in [0, 1)" % key)
    need(isinstance(cfg.get("dropout_seed", 0), int) and cfg.get("dropout_seed", 0) >= 0,
         "dropout_seed must be a non-negative integer")
    if cfg["peft"] == "lora":
        unknown = [t for t in cfg["lora_targets"] if t not in rm.LORA_TARGET_PATHS]
        need(not unknown, "unknown lora targets %s" % unknown)
        need(len(cfg["lora_targets"]) > 0, "no lora targets")
    else:
        need(cfg["adapter_act"] in ("relu", "gelu"), "adapter_act must be relu or gelu")


# ----------------------------------------------------------------------------
# Random parameters and batch
# ----------------------------------------------------------------------------

INIT_STD = {
    "embedding": (0.0, 0.3), "linear": (0.0, 0.1), "ln_weight": (1.0, 0.1),
    "ln_bias": (0.0, 0.1), "classifier": (0.0, 0.2), "lora_A": (0.0, 0.2),
    "lora_B": (0.0, 0.2), "adapter_weight": (0.0, 0.2), "mask": (1.0, 0.1),
}


def random_tensors(shapes, gen):
    """shapes: OrderedDict name -> (shape, kind). Values are float32-rounded
    then held as float64, so the stored F32 files are exactly what was used."""
    out = OrderedDict()
    for name, (shape, kind) in shapes.items():
        mean, std = INIT_STD[kind]
        t = mean + std * torch.randn(shape, generator=gen, dtype=torch.float64)
        out[name] = t.to(torch.float32).to(torch.float64)
    return out


def make_parameters(cfg):
    """Returns (base, peft, masks) OrderedDicts of float64 tensors."""
    gen = torch.Generator().manual_seed(cfg["seed"])
    base = random_tensors(rm.base_tensor_shapes(cfg), gen)
    peft = random_tensors(rm.peft_tensor_shapes(cfg), gen)
    masks = random_tensors(rm.mask_tensor_shapes(cfg), gen)
    return base, peft, masks


def real_lengths(cfg, gen):
    """Row 0 is full length, row 1 is padded by >= 2, others random (>= 3)."""
    B, T = cfg["batch_size"], cfg["seq_len"]
    lengths = [T, int(torch.randint(3, T - 1, (1,), generator=gen))]
    lengths += [int(torch.randint(3, T + 1, (1,), generator=gen)) for _ in range(B - 2)]
    return lengths


def make_batch(cfg):
    gen = torch.Generator().manual_seed(cfg["seed"] + 1000)
    B, T = cfg["batch_size"], cfg["seq_len"]
    ids = torch.full((B, T), rm.PAD_ID, dtype=torch.long)
    mask = torch.zeros((B, T), dtype=torch.long)
    for b, n in enumerate(real_lengths(cfg, gen)):
        ids[b, 0] = 0
        ids[b, 1:n - 1] = torch.randint(3, cfg["vocab_size"], (n - 2,), generator=gen)
        ids[b, n - 1] = 2
        mask[b, :n] = 1
    labels = torch.randint(0, cfg["num_labels"], (B,), generator=gen)
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


# ----------------------------------------------------------------------------
# Output files
# ----------------------------------------------------------------------------

def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def hf_config(cfg):
    C = cfg["num_labels"]
    return OrderedDict([
        ("architectures", ["RobertaForSequenceClassification"]),
        ("model_type", "roberta"),
        ("vocab_size", cfg["vocab_size"]),
        ("hidden_size", cfg["hidden_size"]),
        ("num_hidden_layers", cfg["num_hidden_layers"]),
        ("num_attention_heads", cfg["num_attention_heads"]),
        ("intermediate_size", cfg["intermediate_size"]),
        ("hidden_act", "gelu"),
        ("hidden_dropout_prob", 0.1),
        ("attention_probs_dropout_prob", 0.1),
        ("max_position_embeddings", cfg["max_position_embeddings"]),
        ("type_vocab_size", 1),
        ("initializer_range", 0.02),
        ("layer_norm_eps", cfg["layer_norm_eps"]),
        ("pad_token_id", rm.PAD_ID),
        ("bos_token_id", 0),
        ("eos_token_id", 2),
        ("position_embedding_type", "absolute"),
        ("classifier_dropout", None),
        ("id2label", OrderedDict((str(i), "LABEL_%d" % i) for i in range(C))),
        ("label2id", OrderedDict(("LABEL_%d" % i, i) for i in range(C))),
        ("torch_dtype", "float32"),
    ])


def adapter_config(cfg):
    if cfg["peft"] == "lora":
        return OrderedDict([
            ("peft_type", "LORA"), ("task_type", "SEQ_CLS"),
            ("r", cfg["lora_r"]), ("lora_alpha", cfg["lora_alpha"]),
            ("lora_dropout", cfg.get("lora_dropout", 0.0)),
            ("target_modules", peft_target_regex(cfg["lora_targets"])),
            ("bias", "none"), ("modules_to_save", ["classifier"]),
            ("base_model_name_or_path", None),
        ])
    return OrderedDict([
        ("peft_type", "BOTTLENECK_ADAPTER"), ("adapter_size", cfg["adapter_size"]),
        ("adapter_act", cfg["adapter_act"]), ("adapter_dropout", cfg.get("adapter_dropout", 0.0)),
        ("bias", "none"), ("task_type", "SEQ_CLS"),
    ])


def expected_tensors(cfg, result, losses):
    """Ordered dict of everything that goes into expected.safetensors."""
    exp = OrderedDict()
    exp["logits"] = result["logits"]
    exp["loss"] = result["loss"].reshape(1)
    exp["loss.task"] = result["loss_task"].reshape(1)
    for k, h in enumerate(result["hidden_states"]):
        exp["hidden_states.%d" % k] = h
    for name, g in result["grads"].items():
        exp["grad." + name] = g
    for module, s in result["rank_scores"].items():
        exp["score.rank." + module] = s
    for module, s in result["module_scores"].items():
        exp["score.module." + module] = s.reshape(1)
    exp["train.losses"] = losses
    return exp


def batch_json(batch):
    return OrderedDict((k, batch[k].tolist()) for k in ("input_ids", "attention_mask", "labels"))


def generate(cfg, out_dir):
    """Compute the reference for one full config and write all files to out_dir."""
    base, peft, masks = make_parameters(cfg)
    batch = make_batch(cfg)
    tensors = OrderedDict(list(base.items()) + list(peft.items()) + list(masks.items()))
    result = rm.evaluate(cfg, tensors, batch)
    losses = rm.train_losses(cfg, tensors, batch)
    check_finite(cfg, result, losses)

    os.makedirs(os.path.join(out_dir, "adapter"), exist_ok=True)
    write_json(os.path.join(out_dir, "config.json"), hf_config(cfg))
    write_json(os.path.join(out_dir, "meta.json"), cfg)
    write_json(os.path.join(out_dir, "batch.json"), batch_json(batch))
    write_json(os.path.join(out_dir, "adapter", "adapter_config.json"), adapter_config(cfg))
    write_safetensors(os.path.join(out_dir, "model.safetensors"), base)
    write_safetensors(os.path.join(out_dir, "adapter", "adapter_model.safetensors"), peft)
    write_safetensors(os.path.join(out_dir, "masks.safetensors"), masks)
    write_safetensors(os.path.join(out_dir, "expected.safetensors"),
                      expected_tensors(cfg, result, losses))
    print("%-14s loss=%.6f  task=%.6f  final=%.6f  -> %s" % (
        cfg["name"], result["loss"].item(), result["loss_task"].item(),
        losses[-1].item(), os.path.relpath(out_dir)))


def check_finite(cfg, result, losses):
    vals = [result["logits"], result["loss"], losses] + list(result["grads"].values())
    if not all(torch.isfinite(v).all() for v in vals):
        raise RuntimeError("non-finite reference values for %s" % cfg["name"])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", help="JSON file with one config dict")
    ap.add_argument("--out", help="output directory (required with --config)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)  # bitwise-stable output across machines' thread counts
    if args.config:
        if not args.out:
            ap.error("--out is required with --config")
        with open(args.config) as f:
            raw = json.load(f)
        raw.setdefault("name", os.path.basename(os.path.normpath(args.out)))
        generate(complete_config(raw), args.out)
        return
    if args.out:
        ap.error("--out needs --config")
    for raw in BUILTIN_CONFIGS:
        cfg = complete_config(raw)
        generate(cfg, os.path.join(FIXTURES_DIR, cfg["name"]))


if __name__ == "__main__":
    main()
