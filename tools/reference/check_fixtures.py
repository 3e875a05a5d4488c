#!/usr/bin/python3
"""Self-check of the generated fixtures (not needed to generate them).

For every fixture directory given (default: all of test/fixtures/*):
  1. re-reads every safetensors file with the tiny reader (layout checks);
  2. recomputes logits / hidden states / losses / importance ratios from the
     *stored* F32 files with an independent, loop-based float64 forward (in
     training mode for fixtures with a dropout_seed: explicit site numbers,
     the masks from reference_model.dropout_factor);
  3. finite-difference spot check (float64, central) of stored gradients;
  4. recomputes Taylor rank scores from stored tensors and gradients;
  5. replays the AdamW steps with a hand-written AdamW and compares train.losses;
  6. checks the 10-step trajectory is not chaotic: relative parameter noise of
     1e-6 must move train.losses by < 1e-4 relative (so a float32 engine can
     match it), and prints the amplification seen.

Usage: /usr/bin/python3 tools/reference/check_fixtures.py [FIXTURE_DIR ...]
"""

import glob
import json
import math
import os
import sys
from collections import OrderedDict

import torch

sys.dont_write_bytecode = True  # keep tools/reference free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import reference_model as rm  # noqa: E402
from make_fixtures import FIXTURES_DIR  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402


def load_fixture(d):
    def st(p):
        arrays, _ = read_safetensors(os.path.join(d, p))
        return OrderedDict((k, torch.from_numpy(v.copy()).to(torch.float64))
                           for k, v in arrays.items())
    with open(os.path.join(d, "meta.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(d, "batch.json")) as f:
        b = json.load(f)
    batch = {k: torch.tensor(v, dtype=torch.long) for k, v in b.items()}
    tensors = OrderedDict()
    for p in ("model.safetensors", "adapter/adapter_model.safetensors", "masks.safetensors"):
        tensors.update(st(p))
    return cfg, batch, tensors, st("expected.safetensors")


# ----------------------------------------------------------------------------
# Independent forward (explicit loops, manual ops)
# ----------------------------------------------------------------------------

def ln(x, w, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


PLACES = ["attention.self.query", "attention.self.key", "attention.self.value",
          "attention.output.dense", "intermediate.dense", "output.dense",
          "attention.output.adapter", "output.adapter"]


class Masks:
    """Dropout in training mode: site k of the step seed s has seed s*0x9E3779B1 + k*0x85EBCA6B."""

    def __init__(self, cfg, train):
        self.cfg, self.seed = cfg, cfg.get("dropout_seed") if train else None

    def __call__(self, x, p, site):
        if self.seed is None or p == 0:
            return x
        seed = (self.seed * 0x9E3779B1 + site * 0x85EBCA6B) % 2 ** 32
        return x * rm.dropout_factor(seed, tuple(x.shape), p)

    def peft(self, x, p, layer, place):
        return self(x, p, 2 ** 20 + 8 * layer + PLACES.index(place))


def lin(cfg, P, x, module, ratios, masks):
    y = x @ P[module + ".weight"].T + P[module + ".bias"]
    a = "base_model.model.%s.lora_A.weight" % module
    if a in P:
        bname = "base_model.model.%s.lora_B.weight" % module
        layer, place = int(module.split(".")[3]), module.split(".", 4)[4]
        xd = masks.peft(x, cfg.get("lora_dropout", 0.0), layer, place)
        d = (cfg["lora_alpha"] / cfg["lora_r"]) * ((xd @ P[a].T) @ P[bname].T)
        ratios[module] = ratio(d, y)
        y = y + d
    return y


def ratio(d, y):
    r = torch.sqrt((d ** 2).sum(-1)) / torch.sqrt((y ** 2).sum(-1))
    r[~torch.isfinite(r)] = 0.0
    return r.detach()


def adapt(cfg, P, y, module, ratios, masks):
    if cfg["peft"] != "adapter":
        return y
    layer, place = int(module.split(".")[3]), module.split(".", 4)[4]
    h = masks.peft(y, cfg.get("adapter_dropout", 0.0), layer, place) @ P[module + ".down.weight"].T
    h = torch.clamp(h, min=0) if cfg["adapter_act"] == "relu" else gelu(h)
    d = h @ P[module + ".up.weight"].T
    ratios[module] = ratio(d, y)
    return y + d


def independent_forward(cfg, P, ids, am, train=True):
    B, T = ids.shape
    H, nH = cfg["hidden_size"], cfg["num_attention_heads"]
    dH, eps = H // nH, cfg["layer_norm_eps"]
    L = cfg["num_hidden_layers"]
    masks = Masks(cfg, train)
    ph, pa = 0.1, 0.1  # config.json's hidden / attention dropout
    ratios = OrderedDict()
    pos = torch.ones_like(ids)
    for b in range(B):
        count = 0
        for t in range(T):
            if ids[b, t] != 1:
                count += 1
                pos[b, t] = count + 1
    e = "roberta.embeddings."
    x = (P[e + "word_embeddings.weight"][ids] + P[e + "position_embeddings.weight"][pos]
         + P[e + "token_type_embeddings.weight"][0])
    x = masks(ln(x, P[e + "LayerNorm.weight"], P[e + "LayerNorm.bias"], eps), ph, 1)
    hidden = [x]
    bias = (1.0 - am.to(torch.float64)) * -1e30  # [B,T] additive key mask
    for i in range(cfg["num_hidden_layers"]):
        p = "roberta.encoder.layer.%d." % i
        q = lin(cfg, P, x, p + "attention.self.query", ratios, masks)
        k = lin(cfg, P, x, p + "attention.self.key", ratios, masks)
        v = lin(cfg, P, x, p + "attention.self.value", ratios, masks)
        attn_drop = masks(torch.ones(B, nH, T, T, dtype=torch.float64), pa, 2 + 3 * i)
        hm = P[p + "attention.self.head_mask"]
        parts = []
        for h in range(nH):
            sl = slice(h * dH, (h + 1) * dH)
            s = torch.einsum("btd,bsd->bts", q[..., sl], k[..., sl]) / math.sqrt(dH)
            s = s + bias[:, None, :]
            s = s - s.max(-1, keepdim=True).values
            pr = torch.exp(s) / torch.exp(s).sum(-1, keepdim=True)
            parts.append(torch.einsum("bts,bsd->btd", pr * attn_drop[:, h] * hm[h], v[..., sl]))
        ctx = torch.cat(parts, -1)
        a = adapt(cfg, P, lin(cfg, P, ctx, p + "attention.output.dense", ratios, masks),
                  p + "attention.output.adapter", ratios, masks)
        x1 = ln(masks(a, ph, 3 + 3 * i) + x, P[p + "attention.output.LayerNorm.weight"],
                P[p + "attention.output.LayerNorm.bias"], eps)
        f = gelu(lin(cfg, P, x1, p + "intermediate.dense", ratios, masks)) * P[p + "intermediate.ffn_mask"]
        o = adapt(cfg, P, lin(cfg, P, f, p + "output.dense", ratios, masks), p + "output.adapter", ratios, masks)
        x = ln(masks(o, ph, 4 + 3 * i) + x1, P[p + "output.LayerNorm.weight"], P[p + "output.LayerNorm.bias"], eps)
        hidden.append(x)
    c = masks(x[:, 0], ph, 2 + 3 * L)
    c = masks(torch.tanh(c @ P["classifier.dense.weight"].T + P["classifier.dense.bias"]), ph, 3 + 3 * L)
    logits = c @ P["classifier.out_proj.weight"].T + P["classifier.out_proj.bias"]
    return logits, hidden, ratios


def independent_loss(cfg, P, batch, train=True):
    """The fixture's first step: in training mode when it has a dropout_seed (train=False: evaluation)."""
    logits, hidden, ratios = independent_forward(cfg, P, batch["input_ids"], batch["attention_mask"], train)
    logp = logits - torch.logsumexp(logits, -1, keepdim=True)
    task = -logp[torch.arange(len(batch["labels"])), batch["labels"]].mean()
    l1h = sum(P[n].abs().sum() for n in P if n.endswith("head_mask"))
    l1f = sum(P[n].abs().sum() for n in P if n.endswith("ffn_mask"))
    return task + cfg["lambda_head"] * l1h + cfg["lambda_ffn"] * l1f, task, logits, hidden, ratios


# ----------------------------------------------------------------------------
# Checks
# ----------------------------------------------------------------------------

def close(name, got, want, rtol=2e-6, atol=2e-7):
    got, want = got.reshape(-1), want.reshape(-1)
    err = ((got - want).abs() - rtol * want.abs()).max().item()
    if err > atol:
        raise AssertionError("%s mismatch: max excess err %.3g" % (name, err))


def check_names(cfg, exp):
    want = ["logits", "loss", "loss.task", "train.losses"]
    want += ["hidden_states.%d" % k for k in range(cfg["num_hidden_layers"] + 1)]
    want += ["grad." + n for n in rm.trainable_names(cfg)]
    for m, _, _ in rm.peft_modules(cfg):
        want += ["score.rank." + m, "score.module." + m]
    missing = set(want) - set(exp)
    extra = set(exp) - set(want)
    assert not missing and not extra, (missing, extra)


def check_forward(cfg, P, batch, exp):
    loss, task, logits, hidden, ratios = independent_loss(cfg, P, batch)
    close("logits", logits, exp["logits"])
    close("loss", loss, exp["loss"])
    close("loss.task", task, exp["loss.task"])
    for k, h in enumerate(hidden):
        close("hidden_states.%d" % k, h, exp["hidden_states.%d" % k], atol=1e-6)
    real = batch["attention_mask"].to(torch.float64)
    for m, r in ratios.items():
        close("score.module." + m, (r * real).sum() / real.sum(), exp["score.module." + m])
    assert len(ratios) == len(rm.peft_modules(cfg))


def check_grads_fd(cfg, P, batch, exp, per_tensor=3, h=1e-6):
    gen = torch.Generator().manual_seed(0)
    worst = 0.0
    for name in rm.trainable_names(cfg):
        g = exp["grad." + name]
        flat = P[name].view(-1)
        picks = torch.randint(0, flat.numel(), (per_tensor,), generator=gen).tolist()
        picks.append(int(g.view(-1).abs().argmax()))
        for j in picks:
            old = flat[j].item()
            flat[j] = old + h
            lp = independent_loss(cfg, P, batch)[0].item()
            flat[j] = old - h
            lm = independent_loss(cfg, P, batch)[0].item()
            flat[j] = old
            fd = (lp - lm) / (2 * h)
            an = g.view(-1)[j].item()
            err = abs(fd - an) / max(1e-4, abs(an))
            worst = max(worst, err)
            if err > 1e-4:
                raise AssertionError("grad %s[%d]: fd %.8g vs stored %.8g" % (name, j, fd, an))
    return worst


def check_rank_scores(cfg, P, exp):
    for m, a, b in rm.peft_modules(cfg):
        sa = (P[a] * exp["grad." + a]).mean(1).abs()
        sb = (P[b] * exp["grad." + b]).mean(0).abs()
        close("score.rank." + m, sa + sb, exp["score.rank." + m], atol=1e-7)


def check_training(cfg, P, batch, exp):
    """Hand-written AdamW (decoupled wd, bias correction, eps outside sqrt)."""
    P = OrderedDict((k, v.clone()) for k, v in P.items())
    groups = [(rm.peft_tensor_names(cfg), cfg["lr"], cfg["weight_decay"]),
              (rm.CLASSIFIER_NAMES, cfg["lr"], cfg["weight_decay"]),
              (rm.mask_names(cfg), cfg["lr"] * cfg["mask_lr_mult"], 0.0)]
    b1, b2 = cfg["betas"]
    m = {n: torch.zeros_like(P[n]) for n in rm.trainable_names(cfg)}
    v = {n: torch.zeros_like(P[n]) for n in rm.trainable_names(cfg)}
    losses = []
    for step in range(1, cfg["steps"] + 1):
        for n in m:
            P[n].requires_grad_(True)
        loss = independent_loss(cfg, P, batch, train=False)[0]
        losses.append(loss.item())
        grads = dict(zip(m, torch.autograd.grad(loss, [P[n] for n in m])))
        with torch.no_grad():
            for names, lr, wd in groups:
                for n in names:
                    p = P[n].detach() * (1 - lr * wd)
                    m[n] = b1 * m[n] + (1 - b1) * grads[n]
                    v[n] = b2 * v[n] + (1 - b2) * grads[n] ** 2
                    mh = m[n] / (1 - b1 ** step)
                    vh = v[n] / (1 - b2 ** step)
                    P[n] = p - lr * mh / (torch.sqrt(vh) + cfg["eps"])
    close("train.losses", torch.tensor(losses, dtype=torch.float64), exp["train.losses"])
    if "dropout_seed" not in cfg:  # else the first step's loss is the training-mode one
        assert exp["train.losses"][0] == exp["loss"][0]


def check_stability(cfg, P, batch, exp, noise=1e-6, trials=3):
    gen = torch.Generator().manual_seed(1)
    base = exp["train.losses"].to(torch.float64)
    worst = 0.0
    for _ in range(trials):
        noisy = OrderedDict((k, v * (1 + noise * torch.randn(v.shape, generator=gen, dtype=torch.float64)))
                            for k, v in P.items())
        losses = rm.train_losses(cfg, noisy, batch)
        worst = max(worst, ((losses - base).abs() / base.abs()).max().item())
    if worst > 1e-4:
        raise AssertionError("train.losses chaotic: rel change %.3g under %.0e noise" % (worst, noise))
    return worst


def check_dir(d):
    cfg, batch, P, exp = load_fixture(d)
    check_names(cfg, exp)
    check_forward(cfg, P, batch, exp)
    worst = check_grads_fd(cfg, P, batch, exp)
    check_rank_scores(cfg, P, exp)
    check_training(cfg, P, batch, exp)
    drift = check_stability(cfg, P, batch, exp)
    print("%-14s OK (worst fd rel err %.2e; train.losses rel drift %.2e under 1e-6 param noise)"
          % (cfg["name"], worst, drift))


def main():
    torch.set_num_threads(1)
    dirs = sys.argv[1:] or sorted(os.path.dirname(p) for p in
                                  glob.glob(os.path.join(FIXTURES_DIR, "*", "meta.json")))
    for d in dirs:
        check_dir(d)


if __name__ == "__main__":
    main()
