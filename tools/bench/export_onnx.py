#!/usr/bin/python3
"""Exports one of our model folders to a folder transformers.js loads (ONNX, fp32).

    /usr/bin/python3 tools/bench/export_onnx.py MODEL_DIR [OUT_DIR] [--opset 17]

MODEL_DIR holds config.json and model.safetensors with HF names and a classifier head (as
tools/bench/make-bench-model.ts writes them). OUT_DIR (default MODEL_DIR/transformersjs) gets:

  config.json       MODEL_DIR's, with model_type roberta, architectures
                    RobertaForSequenceClassification, id2label/label2id
  onnx/model.onnx   inputs input_ids, attention_mask (int64 [batch, sequence], both axes dynamic),
                    output logits (float32 [batch, labels]); the weights are initializers

No tokenizer files: the benchmark feeds token-id tensors to the model directly.

The graph is RobertaForSequenceClassification in evaluation mode, written here with HF's ops
(additive attention mask at the float32 minimum, position ids from the padding mask, erf GELU),
so ONNX Runtime sees what an HF export gives it. Before exporting, its logits are checked against
tools/reference/reference_model.py (the math the engine's tests hold the engine to) on a batch
with padding; the export stops if they differ by more than 1e-4.

Needs Debian's python3-torch (1.13), whose exporter writes the file by itself. Should a torch
version ask for the `onnx` Python package, Debian has it: apt-get install python3-onnx.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import reference_model  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402


class RobertaForSequenceClassification(torch.nn.Module):
    """HF's model in evaluation mode over a flat dict of HF-named tensors (held as buffers)."""

    def __init__(self, config: dict, tensors: dict[str, torch.Tensor]):
        super().__init__()
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]
        self.eps = config.get("layer_norm_eps", 1e-5)
        self.pad = config.get("pad_token_id", 1)
        self.hidden = config["hidden_size"]
        self.names = {}
        for name, value in tensors.items():
            # Buffer names may not hold dots; ONNX initializers take these names.
            key = name.replace(".", "__")
            self.register_buffer(key, value)
            self.names[name] = key

    def t(self, name: str) -> torch.Tensor:
        return getattr(self, self.names[name])

    def linear(self, x, module):
        return F.linear(x, self.t(module + ".weight"), self.t(module + ".bias"))

    def norm(self, x, module):
        return F.layer_norm(x, (self.hidden,), self.t(module + ".weight"), self.t(module + ".bias"), self.eps)

    def forward(self, input_ids, attention_mask):
        e = "roberta.embeddings."
        not_pad = input_ids.ne(self.pad).int()
        positions = (torch.cumsum(not_pad, dim=1).type_as(not_pad) * not_pad).long() + self.pad
        x = (F.embedding(input_ids, self.t(e + "word_embeddings.weight"))
             + F.embedding(positions, self.t(e + "position_embeddings.weight"))
             + self.t(e + "token_type_embeddings.weight")[0])
        x = self.norm(x, e + "LayerNorm")
        # HF's extended mask: 0 for real keys, the float32 minimum for padding.
        bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(torch.float32).min
        batch, seq = input_ids.shape  # traced: the batch and sequence axes stay dynamic
        hidden = self.hidden
        head_dim = hidden // self.heads
        for i in range(self.layers):
            p = "roberta.encoder.layer.%d." % i

            def split(t):  # [B, T, H] -> [B, heads, T, head_dim]
                return t.view(batch, seq, self.heads, head_dim).transpose(1, 2)

            q = split(self.linear(x, p + "attention.self.query"))
            k = split(self.linear(x, p + "attention.self.key"))
            v = split(self.linear(x, p + "attention.self.value"))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(head_dim) + bias
            context = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(batch, seq, hidden)
            x = self.norm(self.linear(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            f = F.gelu(self.linear(x, p + "intermediate.dense"))
            x = self.norm(self.linear(f, p + "output.dense") + x, p + "output.LayerNorm")
        c = torch.tanh(self.linear(x[:, 0, :], "classifier.dense"))
        return self.linear(c, "classifier.out_proj")


def reference_logits(config: dict, tensors: dict[str, torch.Tensor], input_ids, attention_mask):
    """The same batch through tools/reference/reference_model.py, in float64."""
    layers = config["num_hidden_layers"]
    cfg = {"num_hidden_layers": layers, "num_attention_heads": config["num_attention_heads"],
           "layer_norm_eps": config.get("layer_norm_eps", 1e-5), "peft": "none"}
    t = {name: value.double() for name, value in tensors.items()}
    for i in range(layers):  # no Light-PEFT masks: all ones
        t[reference_model.head_mask_name(i)] = torch.ones(config["num_attention_heads"], dtype=torch.float64)
        t[reference_model.ffn_mask_name(i)] = torch.ones(config["intermediate_size"], dtype=torch.float64)
    with torch.no_grad():
        return reference_model.forward(cfg, t, input_ids, attention_mask)["logits"]


def check_batch(config: dict):
    """Two rows of 24 tokens, the second padded after 17: <s> ids… </s> <pad>…."""
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(3, config["vocab_size"], (2, 24), generator=gen)
    mask = torch.ones(2, 24, dtype=torch.long)
    ids[:, 0] = 0
    ids[0, -1] = 2
    ids[1, 16] = 2
    ids[1, 17:] = config.get("pad_token_id", 1)
    mask[1, 17:] = 0
    return ids, mask


def transformersjs_config(config: dict) -> dict:
    out = dict(config)
    out["model_type"] = "roberta"
    out["architectures"] = ["RobertaForSequenceClassification"]
    labels = config.get("id2label") or {str(i): "LABEL_%d" % i for i in range(config.get("num_labels", 2))}
    out["id2label"] = {str(k): v for k, v in labels.items()}
    out["label2id"] = {v: int(k) for k, v in out["id2label"].items()}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir")
    parser.add_argument("out_dir", nargs="?")
    parser.add_argument("--opset", type=int, default=17)
    args = parser.parse_args(argv)
    out_dir = args.out_dir or os.path.join(args.model_dir, "transformersjs")
    with open(os.path.join(args.model_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    if config.get("model_type") not in ("roberta", "xlm-roberta", "camembert"):
        raise SystemExit("%s: model_type %r is not RoBERTa-family" % (args.model_dir, config.get("model_type")))
    if config.get("pruned_heads") or config.get("light_peft"):
        raise SystemExit("%s: pruned models (per-layer widths) are not supported by this export" % args.model_dir)
    arrays, _ = read_safetensors(os.path.join(args.model_dir, "model.safetensors"))
    # A bare RobertaModel checkpoint stores names without the "roberta." prefix.
    tensors = {(n if n.startswith(("roberta.", "classifier.")) else "roberta." + n): torch.from_numpy(a.copy())
               for n, a in arrays.items()}
    missing = [n for n in reference_model.CLASSIFIER_NAMES if n not in tensors]
    if missing:
        raise SystemExit("%s has no classifier head (%s): both runtimes must run the same head; "
                         "make the model with tools/bench/make-bench-model.ts" % (args.model_dir, ", ".join(missing)))
    model = RobertaForSequenceClassification(config, tensors).eval()

    ids, mask = check_batch(config)
    with torch.no_grad():
        ours = model(ids, mask).double()
    expected = reference_logits(config, tensors, ids, mask)
    diff = (ours - expected).abs().max().item()
    print("export graph vs reference_model.py: max |logit diff| %.2e (logits up to %.2f)" % (diff, expected.abs().max().item()))
    if not diff <= 1e-4:
        raise SystemExit("the export graph does not match the reference model")

    os.makedirs(os.path.join(out_dir, "onnx"), exist_ok=True)
    path = os.path.join(out_dir, "onnx", "model.onnx")
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}, "logits": {0: "batch"}}
    with torch.no_grad():
        torch.onnx.export(model, (ids, mask), path, input_names=["input_ids", "attention_mask"], output_names=["logits"],
                          dynamic_axes=axes, opset_version=args.opset, do_constant_folding=True)
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(transformersjs_config(config), f, indent=2)
        f.write("\n")
    print("wrote %s (%.1f MB) and %s" % (path, os.path.getsize(path) / 1e6, os.path.join(out_dir, "config.json")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
