#!/usr/bin/python3
"""Pre-train the demo's small RoBERTa with masked-language modelling, reproducibly, on CPU.

    nice -n 10 /usr/bin/python3 tools/demo/pretrain.py --corpus /tmp/lps-demo/corpus.csv \
        --out public/demo/model

Reads the corpus made by tools/demo/corpus.py (one document per CSV row, `text` column) and the
tokenizer that tools/demo/train_tokenizer.py wrote into --out, then trains:

* model: RoBERTa, 4 layers, hidden 256, 4 heads, FFN 1024, exact GELU, LayerNorm eps 1e-5,
  128 positions (+2 for RoBERTa's padding offset), one token type, dropout 0.1 in config.json
  for fine-tuning but none while pre-training (--dropout 0: learns faster on a short budget), HF init
  (N(0, 0.02) weights, zero biases, zero rows for padding_idx);
* data: the documents tokenized and concatenated, each followed by `</s>` (RoBERTa's
  FULL-SENTENCES packing), cut into 126-token chunks, each wrapped as `<s> … </s>`, visited
  in a seeded random order;
* objective: MLM, 15% of the non-special tokens chosen, of which 80% become `<mask>`, 10% a
  random ordinary token and 10% stay; the loss is cross-entropy on the chosen tokens, through
  RoBERTa's LM head (dense -> gelu -> LayerNorm -> decoder tied to the word embeddings + bias),
  evaluated only at the chosen positions (the same loss, without the wasted vocabulary matmul);
* optimizer: AdamW (betas 0.9/0.98, eps 1e-6, weight decay 0.01 except biases and LayerNorm),
  lr 8e-4 with linear warmup (6% of the steps) and linear decay to 0, gradient clipping 1.0,
  batch 16 x 128 tokens, a fixed number of steps (--steps, 4000), torch.set_num_threads(2), seed 0.

Writes into --out: model.safetensors (F32, HF names `roberta.embeddings.*` and
`roberta.encoder.layer.N.*`; no LM head and no classifier) and config.json (HF RobertaConfig,
`id2label` ham/spam for the demo task), and into --work: the MLM loss log (CSV) and a summary
(JSON). `--probe N` runs N steps only, reports the speed and writes nothing.

The model code here (RobertaEncoder with optional LoRA on query/value, classification head)
is also used by tools/demo/evaluate_demo.py.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tools", "reference"))
from train_tokenizer import ByteLevelBPE  # noqa: E402
from safetensors_io import write_safetensors, read_safetensors  # noqa: E402

BOS_ID, PAD_ID, EOS_ID, UNK_ID = 0, 1, 2, 3
MAX_TOKENS = 128  # sequence length incl. <s> and </s>
DEFAULT_STEPS = 4000  # ≈80 minutes on this 2-core machine: see public/demo/model/README.md


def demo_config(vocab_size: int) -> dict:
    """HF RobertaConfig of the demo model (what config.json holds)."""
    return OrderedDict([
        ("architectures", ["RobertaForMaskedLM"]),
        ("model_type", "roberta"),
        ("vocab_size", vocab_size),
        ("hidden_size", 256),
        ("num_hidden_layers", 4),
        ("num_attention_heads", 4),
        ("intermediate_size", 1024),
        ("hidden_act", "gelu"),
        ("hidden_dropout_prob", 0.1),
        ("attention_probs_dropout_prob", 0.1),
        ("max_position_embeddings", MAX_TOKENS + PAD_ID + 1),
        ("type_vocab_size", 1),
        ("initializer_range", 0.02),
        ("layer_norm_eps", 1e-5),
        ("pad_token_id", PAD_ID),
        ("bos_token_id", BOS_ID),
        ("eos_token_id", EOS_ID),
        ("position_embedding_type", "absolute"),
        ("classifier_dropout", None),
        ("use_cache", True),
        ("torch_dtype", "float32"),
        ("id2label", {"0": "ham", "1": "spam"}),
        ("label2id", {"ham": 0, "spam": 1}),
    ])


# ---------------------------------------------------------------------------------------------
# Tokenizer


class CachedBPE(ByteLevelBPE):
    """The tokenizer script's encoder (same ids as transformers.js), with a per-word cache."""

    def __init__(self, tokenizer_json_path: str):
        with open(tokenizer_json_path, encoding="utf-8") as f:
            model = json.load(f)["model"]
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        super().__init__(model["vocab"], merges)
        self.cache: dict[str, list[str]] = {}
        self.vocab_size = len(model["vocab"])
        self.mask_id = model["vocab"]["<mask>"]

    def bpe(self, word: str) -> list[str]:
        parts = self.cache.get(word)
        if parts is None:
            parts = super().bpe(word)
            self.cache[word] = parts
        return parts

    def ids(self, text: str) -> list[int]:
        """Token ids of `text`, without <s>/</s>."""
        return [self.vocab[t] for t in self.tokenize(text)]

    def encode_truncated(self, text: str, max_tokens: int = MAX_TOKENS) -> list[int]:
        """<s> + the first max_tokens-2 tokens + </s> (what the app's truncation gives)."""
        return [BOS_ID] + self.ids(text)[: max_tokens - 2] + [EOS_ID]


def read_documents(path: str) -> list[str]:
    csv.field_size_limit(1 << 24)
    with open(path, newline="", encoding="utf-8") as f:
        return [row["text"] for row in csv.DictReader(f)]


# ---------------------------------------------------------------------------------------------
# Model (HF RoBERTa parameter names)


class LoRA(nn.Module):
    """PEFT's LoRA delta: scale * B(A(x)), A kaiming-uniform(a=sqrt 5), B = 0."""

    def __init__(self, in_features: int, out_features: int, r: int, alpha: float):
        super().__init__()
        self.lora_A = nn.Linear(in_features, r, bias=False)
        self.lora_B = nn.Linear(r, out_features, bias=False)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)
        self.scale = alpha / r

    def forward(self, x):
        return self.lora_B(self.lora_A(x)) * self.scale


class SelfAttention(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        H = cfg["hidden_size"]
        self.heads = cfg["num_attention_heads"]
        self.query = nn.Linear(H, H)
        self.key = nn.Linear(H, H)
        self.value = nn.Linear(H, H)
        self.dropout = nn.Dropout(cfg["attention_probs_dropout_prob"])
        self.lora_query: LoRA | None = None
        self.lora_value: LoRA | None = None

    def forward(self, x, additive_mask):  # x [B,T,H], additive_mask [B,1,1,T] or None
        B, T, H = x.shape
        dH = H // self.heads
        # one matmul for q, k, v
        qkv = F.linear(x, torch.cat([self.query.weight, self.key.weight, self.value.weight]),
                       torch.cat([self.query.bias, self.key.bias, self.value.bias]))
        q, k, v = qkv.split(H, dim=-1)
        if self.lora_query is not None:
            q = q + self.lora_query(x)
        if self.lora_value is not None:
            v = v + self.lora_value(x)
        q, k, v = (t.view(B, T, self.heads, dH).transpose(1, 2) for t in (q, k, v))  # [B,nH,T,dH]
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(dH)  # [B,nH,T,T]
        if additive_mask is not None:
            scores = scores + additive_mask
        probs = self.dropout(torch.softmax(scores, dim=-1))
        return torch.matmul(probs, v).transpose(1, 2).reshape(B, T, H)


class Layer(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        H, I, eps, p = cfg["hidden_size"], cfg["intermediate_size"], cfg["layer_norm_eps"], cfg["hidden_dropout_prob"]
        self.attention = nn.Module()
        self.attention.self = SelfAttention(cfg)
        self.attention.output = nn.Module()
        self.attention.output.dense = nn.Linear(H, H)
        self.attention.output.LayerNorm = nn.LayerNorm(H, eps=eps)
        self.intermediate = nn.Module()
        self.intermediate.dense = nn.Linear(H, I)
        self.output = nn.Module()
        self.output.dense = nn.Linear(I, H)
        self.output.LayerNorm = nn.LayerNorm(H, eps=eps)
        self.dropout = nn.Dropout(p)

    def forward(self, x, additive_mask):
        a = self.dropout(self.attention.output.dense(self.attention.self(x, additive_mask)))
        x = self.attention.output.LayerNorm(a + x)
        f = self.dropout(self.output.dense(F.gelu(self.intermediate.dense(x))))
        return self.output.LayerNorm(f + x)


class Roberta(nn.Module):
    """`roberta.*` of HF RobertaModel without the pooler: embeddings + encoder."""

    def __init__(self, cfg: dict):
        super().__init__()
        H = cfg["hidden_size"]
        self.cfg = cfg
        self.embeddings = nn.Module()
        self.embeddings.word_embeddings = nn.Embedding(cfg["vocab_size"], H, padding_idx=PAD_ID)
        self.embeddings.position_embeddings = nn.Embedding(cfg["max_position_embeddings"], H, padding_idx=PAD_ID)
        self.embeddings.token_type_embeddings = nn.Embedding(cfg["type_vocab_size"], H)
        self.embeddings.LayerNorm = nn.LayerNorm(H, eps=cfg["layer_norm_eps"])
        self.embeddings.dropout = nn.Dropout(cfg["hidden_dropout_prob"])
        self.encoder = nn.Module()
        self.encoder.layer = nn.ModuleList(Layer(cfg) for _ in range(cfg["num_hidden_layers"]))

    def forward(self, input_ids, attention_mask=None):  # [B,T] -> [B,T,H]
        not_pad = (input_ids != PAD_ID).long()
        positions = torch.cumsum(not_pad, dim=1) * not_pad + PAD_ID  # RoBERTa's position ids
        e = self.embeddings
        x = e.word_embeddings(input_ids) + e.position_embeddings(positions) + e.token_type_embeddings.weight[0]
        x = e.dropout(e.LayerNorm(x))
        additive = None
        if attention_mask is not None:
            additive = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for layer in self.encoder.layer:
            x = layer(x, additive)
        return x


def init_weights(module: nn.Module, std: float = 0.02) -> None:
    """HF BERT/RoBERTa initialisation."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=std)
            if m.padding_idx is not None:
                with torch.no_grad():
                    m.weight[m.padding_idx].zero_()
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


class MaskedLM(nn.Module):
    """RoBERTa + RobertaLMHead (decoder tied to the word embeddings)."""

    def __init__(self, cfg: dict):
        super().__init__()
        H = cfg["hidden_size"]
        self.roberta = Roberta(cfg)
        self.lm_dense = nn.Linear(H, H)
        self.lm_norm = nn.LayerNorm(H, eps=cfg["layer_norm_eps"])
        self.lm_bias = nn.Parameter(torch.zeros(cfg["vocab_size"]))
        init_weights(self)

    def forward(self, input_ids, labels):  # labels: -100 where not predicted
        hidden = self.roberta(input_ids)  # [B,T,H]
        chosen = labels != -100
        h = hidden[chosen]  # [M,H]: the LM head only where there is a target
        h = self.lm_norm(F.gelu(self.lm_dense(h)))
        logits = F.linear(h, self.roberta.embeddings.word_embeddings.weight, self.lm_bias)  # [M,V]
        return F.cross_entropy(logits, labels[chosen])


class SequenceClassifier(nn.Module):
    """RobertaForSequenceClassification: encoder + head on <s> (dropout, dense, tanh, dropout, out_proj)."""

    def __init__(self, cfg: dict, num_labels: int):
        super().__init__()
        H = cfg["hidden_size"]
        self.roberta = Roberta(cfg)
        self.classifier = nn.Module()
        self.classifier.dense = nn.Linear(H, H)
        self.classifier.out_proj = nn.Linear(H, num_labels)
        self.dropout = nn.Dropout(cfg["hidden_dropout_prob"])
        init_weights(self)

    def add_lora(self, r: int, alpha: float) -> list[nn.Parameter]:
        """LoRA on query and value of every layer; returns its parameters."""
        H = self.roberta.cfg["hidden_size"]
        params = []
        for layer in self.roberta.encoder.layer:
            att = layer.attention.self
            att.lora_query = LoRA(H, H, r, alpha)
            att.lora_value = LoRA(H, H, r, alpha)
            params += list(att.lora_query.parameters()) + list(att.lora_value.parameters())
        return params

    def forward(self, input_ids, attention_mask):
        x = self.roberta(input_ids, attention_mask)[:, 0]  # [B,H] at <s>
        x = torch.tanh(self.classifier.dense(self.dropout(x)))
        return self.classifier.out_proj(self.dropout(x))  # [B,C]


def encoder_state(roberta: Roberta) -> "OrderedDict[str, torch.Tensor]":
    """The encoder's tensors with HF names (`roberta.…`), in HF order."""
    return OrderedDict(("roberta." + k, v.detach().float().contiguous()) for k, v in roberta.state_dict().items())


def load_encoder(roberta: Roberta, path: str) -> None:
    tensors, _ = read_safetensors(path)
    own = roberta.state_dict()
    missing = [k for k in own if "roberta." + k not in tensors]
    if missing:
        raise SystemExit(f"error: {path}: missing tensors {missing[:4]}")
    roberta.load_state_dict(OrderedDict((k, torch.from_numpy(np.array(tensors["roberta." + k]))) for k in own))


# ---------------------------------------------------------------------------------------------
# Data


def token_stream(documents: list[str], tokenizer: CachedBPE, verbose: bool) -> np.ndarray:
    """All documents' ids, each followed by </s> (the document separator)."""
    pieces = []
    started = time.time()
    for i, doc in enumerate(documents):
        pieces.append(np.asarray(tokenizer.ids(doc) + [EOS_ID], dtype=np.int32))
        if verbose and (i + 1) % 5000 == 0:
            print(f"  tokenized {i + 1}/{len(documents)} documents, {time.time() - started:.0f} s", file=sys.stderr)
    return np.concatenate(pieces)


def make_chunks(stream: np.ndarray) -> torch.Tensor:
    """[N,128]: <s> + 126 consecutive stream tokens + </s>; the incomplete tail is dropped."""
    body = MAX_TOKENS - 2
    n = len(stream) // body
    chunks = np.empty((n, MAX_TOKENS), dtype=np.int64)
    chunks[:, 0] = BOS_ID
    chunks[:, 1:-1] = stream[: n * body].reshape(n, body)
    chunks[:, -1] = EOS_ID
    return torch.from_numpy(chunks)


def mask_tokens(ids: torch.Tensor, vocab_size: int, mask_id: int, generator: torch.Generator,
                probability: float = 0.15):
    """RoBERTa/BERT MLM corruption. Returns (inputs, labels with -100 where not predicted)."""
    special = (ids <= UNK_ID) | (ids == mask_id)  # <s>, <pad>, </s>, <unk>, <mask>
    chosen = (torch.rand(ids.shape, generator=generator) < probability) & ~special
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    inputs = ids.clone()
    roll = torch.rand(ids.shape, generator=generator)
    to_mask = chosen & (roll < 0.8)
    to_random = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[to_mask] = mask_id
    random_ids = torch.randint(UNK_ID + 1, mask_id, ids.shape, generator=generator)  # ordinary tokens
    inputs[to_random] = random_ids[to_random]
    return inputs, labels


def lr_at(step: int, total: int, peak: float, warmup: int) -> float:
    """Linear warmup to `peak`, then linear decay to 0 (step counts from 0)."""
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * max(0.0, (total - step) / max(1, total - warmup))


def adamw_groups(model: nn.Module, weight_decay: float):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim < 2 or "LayerNorm" in name or "norm" in name else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default="/tmp/lps-demo/corpus.csv")
    parser.add_argument("--out", default=os.path.join(REPO, "public", "demo", "model"),
                        help="model directory: reads tokenizer.json, writes config.json and model.safetensors")
    parser.add_argument("--work", default="/tmp/lps-demo", help="where the loss log and summary go")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=8e-4)
    parser.add_argument("--warmup", type=float, default=0.06, help="warmup share of the steps")
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--dropout", type=float, default=0.0, help="dropout while pre-training (config.json keeps 0.1 for fine-tuning)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--probe", type=int, default=0, help="run this many steps, report speed, write nothing")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    started = time.time()

    tokenizer = CachedBPE(os.path.join(args.out, "tokenizer.json"))
    cfg = demo_config(tokenizer.vocab_size)
    documents = read_documents(args.corpus)
    stream = token_stream(documents, tokenizer, verbose=True)
    chunks = make_chunks(stream)
    print(f"corpus: {len(documents)} documents, {len(stream)} tokens, {len(chunks)} chunks of {MAX_TOKENS}; "
          f"tokenized in {time.time() - started:.0f} s", file=sys.stderr)

    model = MaskedLM({**cfg, "hidden_dropout_prob": args.dropout, "attention_probs_dropout_prob": args.dropout})
    n_params = sum(p.numel() for p in model.roberta.parameters())
    total_steps = args.probe or args.steps
    warmup = max(1, round(args.warmup * args.steps))
    optimizer = torch.optim.AdamW(adamw_groups(model, args.weight_decay), lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    data_gen = torch.Generator().manual_seed(args.seed)
    mask_gen = torch.Generator().manual_seed(args.seed + 1)
    order = torch.randperm(len(chunks), generator=data_gen)
    needed = args.steps * args.batch
    while len(order) < needed:  # more than one pass: a fresh permutation per epoch
        order = torch.cat([order, torch.randperm(len(chunks), generator=data_gen)])
    print(f"model: {n_params / 1e6:.2f} M encoder parameters; {args.steps} steps x {args.batch} x {MAX_TOKENS} tokens "
          f"= {needed * MAX_TOKENS / 1e6:.1f} M tokens ({needed / len(chunks):.2f} passes)", file=sys.stderr)

    log_rows = []
    window, window_tokens = [], 0
    model.train()
    train_started = time.time()
    for step in range(total_steps):
        batch = chunks[order[step * args.batch:(step + 1) * args.batch]]
        inputs, labels = mask_tokens(batch, cfg["vocab_size"], tokenizer.mask_id, mask_gen)
        lr = lr_at(step, args.steps, args.lr, warmup)
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss = model(inputs, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        window.append(loss.item())
        if (step + 1) % args.log_every == 0 or step + 1 == total_steps or (args.probe and step < 3):
            elapsed = time.time() - train_started
            row = {"step": step + 1, "mlm_loss": sum(window) / len(window), "lr": lr,
                   "grad_norm": float(grad_norm), "elapsed_s": round(elapsed, 1)}
            log_rows.append(row)
            print(f"step {step + 1:5d}  mlm loss {row['mlm_loss']:.4f}  lr {lr:.2e}  grad norm {row['grad_norm']:.2f}  "
                  f"{elapsed:.0f} s ({elapsed / (step + 1):.2f} s/step)", file=sys.stderr, flush=True)
            window = []
    train_seconds = time.time() - train_started

    if args.probe:
        per_step = train_seconds / total_steps
        print(f"probe: {per_step:.3f} s/step -> {int(1800 / per_step)} steps in 30 minutes", file=sys.stderr)
        return 0

    os.makedirs(args.out, exist_ok=True)
    tensors = encoder_state(model.roberta)
    write_safetensors(os.path.join(args.out, "model.safetensors"), tensors, {"format": "pt"})
    with open(os.path.join(args.out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    os.makedirs(args.work, exist_ok=True)
    with open(os.path.join(args.work, "pretrain-log.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(log_rows[0]))
        writer.writeheader()
        writer.writerows(log_rows)
    summary = {
        "steps": args.steps, "batch": args.batch, "tokens_per_sequence": MAX_TOKENS, "lr": args.lr,
        "warmup_steps": warmup, "weight_decay": args.weight_decay, "seed": args.seed, "threads": args.threads,
        "corpus_documents": len(documents), "corpus_tokens": int(len(stream)), "chunks": len(chunks),
        "passes": round(needed / len(chunks), 3), "encoder_parameters": n_params,
        "train_seconds": round(train_seconds, 1), "total_seconds": round(time.time() - started, 1),
        "first_logged_loss": log_rows[0]["mlm_loss"], "final_logged_loss": log_rows[-1]["mlm_loss"],
        "log": log_rows,
    }
    with open(os.path.join(args.work, "pretrain-summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    print(f"wrote {args.out}/model.safetensors ({os.path.getsize(os.path.join(args.out, 'model.safetensors')) / 1e6:.1f} MB) "
          f"and config.json; trained {train_seconds / 60:.1f} min, final MLM loss {log_rows[-1]['mlm_loss']:.4f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
