"""Times the LoRA baseline's training step in PyTorch on this CPU: the reference against which
bench/torch-step.ts measures our WebGPU engine's same step (issue 11).

The step: RoBERTa for sequence classification (tools/reference/reference_model.py, plain torch,
float32), LoRA r/alpha on the given targets (default r=8, alpha=16 on query,value: the engine's
LORA_DEFAULTS), frozen base, no dropout (evaluation mode), then forward + cross-entropy + backward +
torch.optim.AdamW over the trainable tensors (the LoRA factors and the classifier head; the
Light-PEFT masks stay at 1 and frozen) + reading the loss. `forwardMs` is one inference forward
(no_grad) reading the logits.

Run it with Debian's torch (1.13):
    /usr/bin/python3 tools/bench/torch_step.py [--layers 4 --hidden 256 --heads 4 --intermediate 1024
        --vocab 8000 --batch 8 --seq-len 64] [--runs 5 --warmup 1] [--threads N]
It prints one JSON object on stdout: {torch, threads, blas, stepMs, forwardMs, losses, ...}.
Without --inputs the weights and the batch are seeded random; with --inputs DIR it reads the ones
bench/torch-step.ts wrote (base.safetensors with HF names, adapter_model.safetensors with HF PEFT
names, batch.json), so the two engines' losses and logits can be compared.
--serve: instead of timing by itself, reads commands on stdin, one per line ("step", "forward",
"quit") and answers each with a JSON line ({"ms", "loss"} / {"ms", "logits"}): bench/torch-step.ts
alternates its own steps with these.

Speed needs an optimised BLAS: Debian's torch calls the generic libblas.so.3, which is the slow
reference BLAS unless libopenblas0-pthread is installed (`dpkg -l | grep openblas`; it was, on the
machine this was written on). The `blas` field says which library was loaded. The script sets
OMP_WAIT_POLICY=PASSIVE (unless the environment sets it): with OpenBLAS's threads beside torch's
OpenMP ones, spinning OpenMP threads made a step ~18x slower on 2 cores.
"""

import argparse
import json
import os
import statistics
import sys
import time

# torch's OpenMP threads spin at each barrier by default, and OpenBLAS's own pthreads then fight them for
# the cores: on a 2-core machine a step took 1.3 s instead of 73 ms. Passive waiting must be set
# before libgomp loads (at `import torch`).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "reference"))
import reference_model as rm  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--intermediate", type=int, default=1024)
    p.add_argument("--vocab", type=int, default=8000)
    p.add_argument("--labels", type=int, default=2)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq-len", type=int, default=64)
    p.add_argument("--rank", type=int, default=8)
    p.add_argument("--alpha", type=float, default=16)
    p.add_argument("--targets", default="query,value")
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--inputs", help="folder with base.safetensors, adapter_model.safetensors, batch.json")
    p.add_argument("--serve", action="store_true", help="answer step/forward commands on stdin")
    return p.parse_args(argv)


def model_config(args):
    """The reference model's config dict (see make_fixtures.py) for this shape, without dropout."""
    return {
        "num_hidden_layers": args.layers, "hidden_size": args.hidden,
        "num_attention_heads": args.heads, "intermediate_size": args.intermediate,
        "vocab_size": args.vocab, "max_position_embeddings": args.seq_len + 2,
        "num_labels": args.labels, "layer_norm_eps": 1e-5,
        "hidden_dropout": 0.0, "attention_dropout": 0.0, "lora_dropout": 0.0,
        "peft": "lora", "lora_r": args.rank, "lora_alpha": args.alpha,
        "lora_targets": args.targets.split(","),
        "lambda_head": 0.0, "lambda_ffn": 0.0,
        "lr": args.lr, "weight_decay": args.weight_decay, "mask_lr_mult": 1.0,
        "betas": [0.9, 0.999], "eps": 1e-8,
    }


def random_tensors(cfg, seed):
    """Seeded random weights scaled as the engine's random checkpoints: embeddings 0.5 / 0.1,
    linear layers 1/sqrt(fan-in), LayerNorm at identity, biases 0; masks at 1."""
    gen = torch.Generator().manual_seed(seed)
    tensors = {}
    shapes = list(rm.base_tensor_shapes(cfg).items()) + list(rm.peft_tensor_shapes(cfg).items())
    for name, (shape, kind) in shapes:
        if kind == "ln_weight":
            t = torch.ones(shape)
        elif name.endswith(".bias"):
            t = torch.zeros(shape)
        else:
            std = 0.5 if name.endswith("word_embeddings.weight") else 0.1 if kind == "embedding" else shape[-1] ** -0.5
            t = torch.randn(shape, generator=gen) * std
        tensors[name] = t
    for name, (shape, _) in rm.mask_tensor_shapes(cfg).items():
        tensors[name] = torch.ones(shape)
    B, T = cfg["batch_size"], cfg["seq_len"]
    ids = torch.randint(3, cfg["vocab_size"] - 1, (B, T), generator=gen)
    ids[:, 0], ids[:, -1] = 0, 2  # <s> ... </s>
    batch = {"input_ids": ids, "attention_mask": torch.ones(B, T, dtype=torch.long),
             "labels": torch.arange(B) % cfg["num_labels"]}
    return tensors, batch


def read_inputs(cfg, folder):
    """The engine's weights and batch, as bench/torch-step.ts wrote them."""
    tensors = {}
    base, _ = read_safetensors(os.path.join(folder, "base.safetensors"))
    for name, arr in base.items():
        tensors[name] = torch.from_numpy(arr.copy())
    adapter, _ = read_safetensors(os.path.join(folder, "adapter_model.safetensors"))
    prefix = "base_model.model."
    for name, arr in adapter.items():
        # LoRA factors keep their PEFT names (as reference_model expects); the head drops the prefix.
        key = name if ".lora_" in name else name[len(prefix):]
        tensors[key] = torch.from_numpy(arr.copy())
    for name, (shape, _) in rm.mask_tensor_shapes(cfg).items():
        tensors[name] = torch.ones(shape)
    expected = {**{n: s for n, (s, _) in rm.base_tensor_shapes(cfg).items()},
                **{n: s for n, (s, _) in rm.peft_tensor_shapes(cfg).items()}}
    for name, shape in expected.items():
        if name not in tensors or list(tensors[name].shape) != list(shape):
            raise SystemExit("%s: %s missing or not of shape %s" % (folder, name, shape))
    with open(os.path.join(folder, "batch.json")) as f:
        b = json.load(f)
    batch = {"input_ids": torch.tensor(b["input_ids"]), "attention_mask": torch.tensor(b["attention_mask"]),
             "labels": torch.tensor(b["labels"])}
    if tuple(batch["input_ids"].shape) != (cfg["batch_size"], cfg["seq_len"]):
        raise SystemExit("%s: batch.json is %s, not %d x %d" % (folder, tuple(batch["input_ids"].shape), cfg["batch_size"], cfg["seq_len"]))
    return tensors, batch


class LoraStep:
    """The baseline's training step and inference forward on one model and batch."""

    def __init__(self, cfg, tensors, batch):
        self.cfg, self.batch = cfg, batch
        trainable = set(rm.peft_tensor_names(cfg) + rm.CLASSIFIER_NAMES)
        self.t = {n: v.float().requires_grad_(n in trainable) for n, v in tensors.items()}
        # reference_model's groups: PEFT and head with weight decay; the frozen masks get no grad, so AdamW skips them.
        self.optimizer = torch.optim.AdamW(rm.optimizer_groups(cfg, self.t), betas=tuple(cfg["betas"]), eps=cfg["eps"])

    def step(self):
        self.optimizer.zero_grad(set_to_none=True)
        out = rm.forward(self.cfg, self.t, self.batch["input_ids"], self.batch["attention_mask"])
        loss, _ = rm.total_loss(self.cfg, self.t, out["logits"], self.batch["labels"])
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def forward(self):
        with torch.no_grad():
            out = rm.forward(self.cfg, self.t, self.batch["input_ids"], self.batch["attention_mask"])
            return out["logits"].numpy().copy()


def timed(work):
    start = time.perf_counter()
    result = work()
    return (time.perf_counter() - start) * 1e3, result


def blas_library():
    """The BLAS shared library this process loaded (after a matmul), e.g. libopenblasp-r0.3.21.so."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    with open("/proc/self/maps") as f:
        libs = sorted({line.split()[-1] for line in f if "blas" in line.lower() and ".so" in line})
    return [os.path.basename(p) for p in libs]


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = model_config(args)
    cfg["batch_size"], cfg["seq_len"] = args.batch, args.seq_len
    tensors, batch = read_inputs(cfg, args.inputs) if args.inputs else random_tensors(cfg, args.seed)
    bench = LoraStep(cfg, tensors, batch)
    about = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_library(),
             "ompWaitPolicy": os.environ["OMP_WAIT_POLICY"]}
    if args.serve:
        serve(bench, about)
        return
    losses = []
    for _ in range(args.warmup):
        losses.append(bench.step())
    step_ms = []
    for _ in range(args.runs):
        ms, loss = timed(bench.step)
        step_ms.append(ms)
        losses.append(loss)
    bench.forward()  # warm-up
    forward_ms = [timed(bench.forward)[0] for _ in range(args.runs)]
    print(json.dumps({**about, "stepMs": statistics.median(step_ms), "forwardMs": statistics.median(forward_ms),
                      "runs": args.runs, "warmup": args.warmup, "losses": losses}))


def serve(bench, about):
    """One JSON line per command, so another process can alternate its own runs with ours."""
    def say(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    say({"ready": True, **about})
    for line in sys.stdin:
        command = line.strip()
        if command == "step":
            ms, loss = timed(bench.step)
            say({"ms": ms, "loss": loss})
        elif command == "forward":
            ms, logits = timed(bench.forward)
            say({"ms": ms, "logits": logits.astype(np.float64).ravel().tolist()})
        elif command == "quit":
            return
        else:
            say({"error": "unknown command %r (step, forward, quit)" % command})


if __name__ == "__main__":
    main()
