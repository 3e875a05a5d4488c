"""Reference math for Light-PEFT Studio: RoBERTa for sequence classification
with LoRA or bottleneck adapters and Light-PEFT head/FFN masks, written in
plain torch with Hugging Face parameter names. Evaluation mode by default; a
config with ``dropout_seed`` runs one step in training mode, with the engine's
dropout masks (see ``Dropout``).

The PEFT modules follow the Light-PEFT paper's code: LoRA adds
s*B(A(dropout(x))) to the frozen linear; a bottleneck adapter sits inside the
dense layer of the attention output and of the FFN output, before the hidden
dropout and the LayerNorm: y + up(act(down(dropout(y)))), no biases. Each
Importance Ratio divides the module's output by the frozen dense output.

Everything here works on a flat dict ``tensors`` that maps a name to a torch
tensor:

* base model tensors use HF names (``roberta.encoder.layer.0.attention.self.query.weight``,
  ``classifier.out_proj.bias``, ...);
* LoRA tensors use HF PEFT names (``base_model.model.<module>.lora_A.weight``);
* adapter tensors are ``<module>.down.weight`` and ``<module>.up.weight`` with
  ``<module> = roberta.encoder.layer.{i}.attention.output.adapter`` or
  ``roberta.encoder.layer.{i}.output.adapter``;
* masks are ``roberta.encoder.layer.{i}.attention.self.head_mask`` [nH] and
  ``roberta.encoder.layer.{i}.intermediate.ffn_mask`` [I].

A ``cfg`` is the plain config dict defined in make_fixtures.py.
The TypeScript engine implements exactly this math.
"""

import math
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F

PAD_ID = 1

# Canonical LoRA target short name -> path inside one encoder layer.
# "output.dense" is the FFN output only, never attention.output.dense.
LORA_TARGET_PATHS = OrderedDict([
    ("query", "attention.self.query"),
    ("key", "attention.self.key"),
    ("value", "attention.self.value"),
    ("attention.output.dense", "attention.output.dense"),
    ("intermediate.dense", "intermediate.dense"),
    ("output.dense", "output.dense"),
])

CLASSIFIER_NAMES = [
    "classifier.dense.weight",
    "classifier.dense.bias",
    "classifier.out_proj.weight",
    "classifier.out_proj.bias",
]


# ----------------------------------------------------------------------------
# Names
# ----------------------------------------------------------------------------

def layer_prefix(i):
    return "roberta.encoder.layer.%d." % i


def head_mask_name(i):
    return layer_prefix(i) + "attention.self.head_mask"


def ffn_mask_name(i):
    return layer_prefix(i) + "intermediate.ffn_mask"


def mask_names(cfg):
    names = []
    for i in range(cfg["num_hidden_layers"]):
        names += [head_mask_name(i), ffn_mask_name(i)]
    return names


def lora_module_name(i, target):
    return layer_prefix(i) + LORA_TARGET_PATHS[target]


def lora_a_name(module):
    return "base_model.model.%s.lora_A.weight" % module


def lora_b_name(module):
    return "base_model.model.%s.lora_B.weight" % module


def adapter_module_names(i):
    """The two adapters of layer i, in forward order."""
    return [layer_prefix(i) + "attention.output.adapter",
            layer_prefix(i) + "output.adapter"]


def peft_modules(cfg):
    """Ordered list of (module, A_name, B_name) for every PEFT module.

    For LoRA, A = lora_A [r,in], B = lora_B [out,r]; modules are ordered by
    layer, then by canonical target order. For adapters, A = down.weight [m,H]
    and B = up.weight [H,m]; attention adapter before output adapter.
    """
    out = []
    for i in range(cfg["num_hidden_layers"]):
        if cfg["peft"] == "lora":
            for target in LORA_TARGET_PATHS:
                if target in cfg["lora_targets"]:
                    m = lora_module_name(i, target)
                    out.append((m, lora_a_name(m), lora_b_name(m)))
        elif cfg["peft"] == "adapter":
            for m in adapter_module_names(i):
                out.append((m, m + ".down.weight", m + ".up.weight"))
        else:
            raise ValueError("unknown peft %r" % cfg["peft"])
    return out


def peft_tensor_names(cfg):
    """All trainable PEFT tensor names, in file order."""
    names = []
    for module, a, b in peft_modules(cfg):
        if cfg["peft"] == "lora":
            names += [a, b]
        else:
            names += [module + ".down.weight", module + ".up.weight"]
    return names


def trainable_names(cfg):
    return peft_tensor_names(cfg) + mask_names(cfg) + CLASSIFIER_NAMES


# ----------------------------------------------------------------------------
# Shapes
# ----------------------------------------------------------------------------

def base_tensor_shapes(cfg):
    """OrderedDict name -> (shape, kind) for the base model (model.safetensors).

    kind is one of: embedding, linear, ln_weight, ln_bias, classifier.
    """
    H, I = cfg["hidden_size"], cfg["intermediate_size"]
    C = cfg["num_labels"]
    s = OrderedDict()
    e = "roberta.embeddings."
    s[e + "word_embeddings.weight"] = ([cfg["vocab_size"], H], "embedding")
    s[e + "position_embeddings.weight"] = ([cfg["max_position_embeddings"], H], "embedding")
    s[e + "token_type_embeddings.weight"] = ([1, H], "embedding")
    s[e + "LayerNorm.weight"] = ([H], "ln_weight")
    s[e + "LayerNorm.bias"] = ([H], "ln_bias")
    for i in range(cfg["num_hidden_layers"]):
        p = layer_prefix(i)
        for lin, out_f, in_f in [("attention.self.query", H, H),
                                 ("attention.self.key", H, H),
                                 ("attention.self.value", H, H),
                                 ("attention.output.dense", H, H)]:
            s[p + lin + ".weight"] = ([out_f, in_f], "linear")
            s[p + lin + ".bias"] = ([out_f], "linear")
        s[p + "attention.output.LayerNorm.weight"] = ([H], "ln_weight")
        s[p + "attention.output.LayerNorm.bias"] = ([H], "ln_bias")
        s[p + "intermediate.dense.weight"] = ([I, H], "linear")
        s[p + "intermediate.dense.bias"] = ([I], "linear")
        s[p + "output.dense.weight"] = ([H, I], "linear")
        s[p + "output.dense.bias"] = ([H], "linear")
        s[p + "output.LayerNorm.weight"] = ([H], "ln_weight")
        s[p + "output.LayerNorm.bias"] = ([H], "ln_bias")
    s["classifier.dense.weight"] = ([H, H], "classifier")
    s["classifier.dense.bias"] = ([H], "classifier")
    s["classifier.out_proj.weight"] = ([C, H], "classifier")
    s["classifier.out_proj.bias"] = ([C], "classifier")
    return s


def _linear_in_out(cfg, path):
    H, I = cfg["hidden_size"], cfg["intermediate_size"]
    if path == "intermediate.dense":
        return H, I
    if path == "output.dense":
        return I, H
    return H, H


def peft_tensor_shapes(cfg):
    """OrderedDict name -> (shape, kind) for the PEFT tensors.

    kind is one of: lora_A, lora_B, adapter_weight.
    """
    s = OrderedDict()
    H = cfg["hidden_size"]
    for module, a, b in peft_modules(cfg):
        if cfg["peft"] == "lora":
            r = cfg["lora_r"]
            path = module.split(".", 4)[4]  # strip "roberta.encoder.layer.{i}."
            in_f, out_f = _linear_in_out(cfg, path)
            s[a] = ([r, in_f], "lora_A")
            s[b] = ([out_f, r], "lora_B")
        else:
            m = cfg["adapter_size"]
            s[module + ".down.weight"] = ([m, H], "adapter_weight")
            s[module + ".up.weight"] = ([H, m], "adapter_weight")
    return s


def mask_tensor_shapes(cfg):
    s = OrderedDict()
    for i in range(cfg["num_hidden_layers"]):
        s[head_mask_name(i)] = ([cfg["num_attention_heads"]], "mask")
        s[ffn_mask_name(i)] = ([cfg["intermediate_size"]], "mask")
    return s


# ----------------------------------------------------------------------------
# Dropout masks (the engine's: src/kernels/elementwise.ts and
# src/engine/model/layers/dropout-layer.ts)
# ----------------------------------------------------------------------------

MASK32 = 0xFFFFFFFF
PEFT_SITE_BASE = 1 << 20
PEFT_PLACES = list(LORA_TARGET_PATHS.values()) + ["attention.output.adapter", "output.adapter"]


def _pcg(v):
    """PCG hash of uint32 values held in a uint64 numpy array."""
    state = (v * np.uint64(747796405) + np.uint64(2891336453)) & np.uint64(MASK32)
    word = (((state >> ((state >> np.uint64(28)) + np.uint64(4))) ^ state) * np.uint64(277803737)) & np.uint64(MASK32)
    return (word >> np.uint64(22)) ^ word


def site_seed(step_seed, site):
    return (step_seed * 0x9E3779B1 + site * 0x85EBCA6B) & MASK32


def dropout_factor(seed, shape, p):
    """Inverted-dropout factors (0 or f32(1/(1-p))) over the row-major flat
    index of a tensor of `shape`, exactly the engine's keep-mask."""
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.uint64)
    h = _pcg(_pcg(i) ^ _pcg(np.array([seed], dtype=np.uint64)))
    keep = (h >> np.uint64(8)).astype(np.float64) / 16777216.0 >= float(np.float32(p))
    scale = float(np.float32(1.0 / (1.0 - p)))
    return torch.from_numpy(np.where(keep, scale, 0.0).reshape(shape))


class Dropout:
    """One step's dropout. `step_seed` None: evaluation (no dropout).

    The base model's sites take seeds 1, 2, ... in forward order: embeddings,
    then per layer attention probabilities, attention output, FFN output, then
    the classifier's two. A PEFT module's site is fixed by its layer and place.
    """

    def __init__(self, cfg, step_seed):
        self.step_seed = step_seed
        self.hidden = cfg.get("hidden_dropout", 0.1)
        self.attention = cfg.get("attention_dropout", 0.1)
        self.lora = cfg.get("lora_dropout", 0.0)
        self.adapter = cfg.get("adapter_dropout", 0.0)
        self.site = 0

    def next_seed(self):
        self.site += 1
        return site_seed(self.step_seed or 0, self.site)

    def apply(self, x, p, seed):
        if self.step_seed is None or p == 0:
            return x
        return x * dropout_factor(seed, tuple(x.shape), p)

    def base(self, x, p):
        """Dropout at the next base-model site (a seed is drawn even when off)."""
        return self.apply(x, p, self.next_seed())

    def peft(self, x, p, module):
        layer, path = module.split(".", 4)[3], module.split(".", 4)[4]
        site = PEFT_SITE_BASE + int(layer) * len(PEFT_PLACES) + PEFT_PLACES.index(path)
        return self.apply(x, p, site_seed(self.step_seed or 0, site))


# ----------------------------------------------------------------------------
# Forward pieces
# ----------------------------------------------------------------------------

def position_ids(input_ids):
    """RoBERTa create_position_ids_from_input_ids with padding_idx = 1."""
    not_pad = (input_ids != PAD_ID).long()
    return torch.cumsum(not_pad, dim=1) * not_pad + PAD_ID


def layer_norm(x, tensors, prefix, eps):
    return F.layer_norm(x, (x.shape[-1],), tensors[prefix + ".weight"],
                        tensors[prefix + ".bias"], eps)


def embed(cfg, tensors, input_ids, drop):
    e = "roberta.embeddings."
    pos = position_ids(input_ids)
    x = (tensors[e + "word_embeddings.weight"][input_ids]
         + tensors[e + "position_embeddings.weight"][pos]
         + tensors[e + "token_type_embeddings.weight"][0])
    return drop.base(layer_norm(x, tensors, e + "LayerNorm", cfg["layer_norm_eps"]), drop.hidden)


def token_ratio(delta, base):
    """Per-token ||delta|| / ||base|| over the last dim; NaN/inf -> 0. Detached."""
    with torch.no_grad():
        r = delta.norm(dim=-1) / base.norm(dim=-1)
        return torch.where(torch.isfinite(r), r, torch.zeros_like(r))


def peft_linear(cfg, tensors, x, module, ratios, drop):
    """Frozen linear `module` plus its LoRA delta s*B(A(dropout(x))) when it is a LoRA target."""
    base = F.linear(x, tensors[module + ".weight"], tensors[module + ".bias"])
    a_name = lora_a_name(module)
    if a_name not in tensors:
        return base
    scale = cfg["lora_alpha"] / cfg["lora_r"]
    dropped = drop.peft(x, drop.lora, module)
    delta = scale * F.linear(F.linear(dropped, tensors[a_name]), tensors[lora_b_name(module)])
    ratios[module] = token_ratio(delta, base)
    return base + delta


def activation(name, x):
    if name == "relu":
        return F.relu(x)
    if name == "gelu":
        return F.gelu(x)  # exact erf GELU
    raise ValueError("unknown activation %r" % name)


def apply_adapter(cfg, tensors, y, module, ratios, drop):
    """y + up(act(down(dropout(y)))) when adapters are enabled, else y.
    y is the dense layer's output, before the hidden dropout."""
    if cfg["peft"] != "adapter":
        return y
    h = F.linear(drop.peft(y, drop.adapter, module), tensors[module + ".down.weight"])
    d = F.linear(activation(cfg["adapter_act"], h), tensors[module + ".up.weight"])
    ratios[module] = token_ratio(d, y)
    return y + d


def self_attention(cfg, tensors, x, attention_mask, i, ratios, drop):
    B, T, H = x.shape
    nH = cfg["num_attention_heads"]
    dH = H // nH
    p = layer_prefix(i)

    def heads(t):  # [B,T,H] -> [B,nH,T,dH]; head h = columns h*dH..(h+1)*dH
        return t.view(B, T, nH, dH).transpose(1, 2)

    seed = drop.next_seed()  # drawn before Q, K, V, as the engine does
    q = heads(peft_linear(cfg, tensors, x, p + "attention.self.query", ratios, drop))
    k = heads(peft_linear(cfg, tensors, x, p + "attention.self.key", ratios, drop))
    v = heads(peft_linear(cfg, tensors, x, p + "attention.self.value", ratios, drop))
    scores = q @ k.transpose(-1, -2) / math.sqrt(dH)
    key_is_pad = (attention_mask == 0)[:, None, None, :]
    scores = scores.masked_fill(key_is_pad, float("-inf"))
    probs = torch.softmax(scores, dim=-1)
    probs = drop.apply(probs, drop.attention, seed)
    probs = probs * tensors[head_mask_name(i)].view(1, nH, 1, 1)
    ctx = (probs @ v).transpose(1, 2).reshape(B, T, H)
    return ctx


def sublayer_output(cfg, tensors, x, residual, dense, adapter, norm, ratios, drop):
    """HF's RobertaSelfOutput / RobertaOutput with the paper's adapter inside the
    dense layer: LayerNorm(dropout(adapter(dense(x))) + residual)."""
    seed = drop.next_seed()
    y = peft_linear(cfg, tensors, x, dense, ratios, drop)
    y = apply_adapter(cfg, tensors, y, adapter, ratios, drop)
    y = drop.apply(y, drop.hidden, seed)
    return layer_norm(y + residual, tensors, norm, cfg["layer_norm_eps"])


def encoder_layer(cfg, tensors, x, attention_mask, i, ratios, drop):
    p = layer_prefix(i)
    ctx = self_attention(cfg, tensors, x, attention_mask, i, ratios, drop)
    x1 = sublayer_output(cfg, tensors, ctx, x, p + "attention.output.dense",
                         p + "attention.output.adapter", p + "attention.output.LayerNorm", ratios, drop)
    f = F.gelu(peft_linear(cfg, tensors, x1, p + "intermediate.dense", ratios, drop))
    f = f * tensors[ffn_mask_name(i)]
    return sublayer_output(cfg, tensors, f, x1, p + "output.dense",
                           p + "output.adapter", p + "output.LayerNorm", ratios, drop)


def classifier_head(tensors, x, drop):
    c = drop.base(x[:, 0, :], drop.hidden)
    c = torch.tanh(F.linear(c, tensors["classifier.dense.weight"], tensors["classifier.dense.bias"]))
    c = drop.base(c, drop.hidden)
    return F.linear(c, tensors["classifier.out_proj.weight"], tensors["classifier.out_proj.bias"])


def forward(cfg, tensors, input_ids, attention_mask, step_seed=None):
    """Returns dict: logits [B,C], hidden_states (list of L+1 [B,T,H]),
    ratios (module -> per-token importance ratio [B,T], detached).
    `step_seed` None: evaluation mode; else training mode with the engine's
    dropout masks for that step seed."""
    drop = Dropout(cfg, step_seed)
    ratios = OrderedDict()
    x = embed(cfg, tensors, input_ids, drop)
    hidden = [x]
    for i in range(cfg["num_hidden_layers"]):
        x = encoder_layer(cfg, tensors, x, attention_mask, i, ratios, drop)
        hidden.append(x)
    return {"logits": classifier_head(tensors, x, drop), "hidden_states": hidden, "ratios": ratios}


# ----------------------------------------------------------------------------
# Loss, scores, training
# ----------------------------------------------------------------------------

def mask_l1(cfg, tensors):
    head = sum(tensors[head_mask_name(i)].abs().sum() for i in range(cfg["num_hidden_layers"]))
    ffn = sum(tensors[ffn_mask_name(i)].abs().sum() for i in range(cfg["num_hidden_layers"]))
    return head, ffn


def total_loss(cfg, tensors, logits, labels):
    """Returns (loss, loss_task): mean CE + lambda_head*L1(head) + lambda_ffn*L1(ffn)."""
    task = F.cross_entropy(logits, labels)
    head, ffn = mask_l1(cfg, tensors)
    return task + cfg["lambda_head"] * head + cfg["lambda_ffn"] * ffn, task


def module_scores(ratios, attention_mask):
    """Importance Ratio: per-token ratio averaged over non-padding tokens."""
    real = attention_mask.to(torch.float64)
    return OrderedDict((m, (r * real).sum() / real.sum()) for m, r in ratios.items())


def rank_scores(cfg, tensors, grads):
    """Taylor score per rank j: |mean_k A[j,k] dA[j,k]| + |mean_i B[i,j] dB[i,j]|."""
    out = OrderedDict()
    for module, a, b in peft_modules(cfg):
        sa = (tensors[a] * grads[a]).mean(dim=1).abs()
        sb = (tensors[b] * grads[b]).mean(dim=0).abs()
        out[module] = sa + sb
    return out


def with_trainable(cfg, tensors):
    """Copy of tensors (float64) where the trainable ones require grad."""
    train = set(trainable_names(cfg))
    return OrderedDict((n, t.detach().clone().requires_grad_(n in train))
                       for n, t in tensors.items())


def evaluate(cfg, tensors, batch):
    """One forward + backward on the initial parameters (in training mode when
    the config has a dropout_seed).

    Returns dict with logits, loss, loss_task, hidden_states, grads (name ->
    tensor), module_scores, rank_scores.
    """
    t = with_trainable(cfg, tensors)
    out = forward(cfg, t, batch["input_ids"], batch["attention_mask"], cfg.get("dropout_seed"))
    loss, task = total_loss(cfg, t, out["logits"], batch["labels"])
    names = trainable_names(cfg)
    grads = OrderedDict(zip(names, torch.autograd.grad(loss, [t[n] for n in names])))
    return {
        "logits": out["logits"].detach(),
        "loss": loss.detach(),
        "loss_task": task.detach(),
        "hidden_states": [h.detach() for h in out["hidden_states"]],
        "grads": grads,
        "module_scores": module_scores(out["ratios"], batch["attention_mask"]),
        "rank_scores": rank_scores(cfg, tensors, grads),
    }


def optimizer_groups(cfg, t):
    peft = [t[n] for n in peft_tensor_names(cfg)]
    cls = [t[n] for n in CLASSIFIER_NAMES]
    masks = [t[n] for n in mask_names(cfg)]
    return [
        {"params": peft, "lr": cfg["lr"], "weight_decay": cfg["weight_decay"]},
        {"params": cls, "lr": cfg["lr"], "weight_decay": cfg["weight_decay"]},
        {"params": masks, "lr": cfg["lr"] * cfg["mask_lr_mult"], "weight_decay": 0.0},
    ]


def train_losses(cfg, tensors, batch):
    """cfg['steps'] AdamW steps on the same batch, in evaluation mode; returns
    the total loss measured before each update, as a float64 tensor [steps]."""
    t = with_trainable(cfg, tensors)
    opt = torch.optim.AdamW(optimizer_groups(cfg, t), betas=tuple(cfg["betas"]),
                            eps=cfg["eps"])
    losses = []
    for _ in range(cfg["steps"]):
        opt.zero_grad()
        out = forward(cfg, t, batch["input_ids"], batch["attention_mask"])
        loss, _ = total_loss(cfg, t, out["logits"], batch["labels"])
        losses.append(loss.item())
        loss.backward()
        opt.step()
    return torch.tensor(losses, dtype=torch.float64)
