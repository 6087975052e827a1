#!/usr/bin/env python3
"""Eager float32 PyTorch peer of bench/train.mjs: the same GPT-2-small-shaped train step, timed the same way.

A benchmark peer only (issue #17: "≥ 2× eager float32 PyTorch's step time on the same machine, same threads and
tokens"); nothing in aligntune uses it. bench/all.mjs runs it after our steps where a python with torch is found.

The model is GPT-2 written plainly from its definition: learned token and position embeddings, pre-LN blocks
(LayerNorm eps 1e-5 → causal self-attention → residual, LayerNorm → MLP 4·d with tanh GELU → residual), a final
LayerNorm, the LM head tied to the token embedding; random init (normal, std 0.02), no dropout (our engine has
none), float32, eager attention (matmul, causal mask, softmax, matmul).

The step matches bench/lib/train-bench.mjs with our trainers' defaults (TRL's):
- sft: `rows` sequences of `seq` tokens, half prompt and half completion (its last token the EOS); NLL of the
  completion tokens over all of them (one token mean per step: Σ −log p / count); lr 2e-5.
- dpo: `rows` pairs, chosen rows then rejected rows, `seq` tokens each (half prompt); the sequence log-prob of each
  completion under the policy (forward + backward) and under a frozen reference (a second model, forward under
  no_grad, as ours holds one); sigmoid loss, beta 0.1, mean over pairs; lr 1e-6.
- both: AdamW (betas 0.9/0.999, eps 1e-8, weight decay 0), global grad-norm clipping at 1.0, linear lr decay.
Token ids are random (fixed seed): the work does not depend on which tokens they are.

It also reports the BLAS library torch's matmuls run on and torch's own fp32 MatMul GFLOP/s at one of
bench/lib/matmul-peak.mjs's shapes: Debian's python3-torch links libblas.so.3, which is the netlib reference BLAS
(a few GFLOP/s) unless an optimised one provides it (`apt-get install libopenblas0-openmp`), and a peer on the
reference BLAS is no measure of eager PyTorch.

Usage: /usr/bin/python3 bench/pytorch-peer.py --algo sft|dpo [--threads N] [--layers 12] [--rows R --seq S]
       [--steps 3] [--warmup 1] [--json]
       /usr/bin/python3 bench/pytorch-peer.py --probe [--threads N]   (torch's version, BLAS and MatMul GFLOP/s, as JSON)
"""
import argparse
import copy
import json
import math
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

VOCAB = 50257
POSITIONS = 1024
D = 768
HEADS = 12
# The bench's fixed configurations (bench/lib/train-bench.mjs TRAIN_BENCHES): rows, seq, lr (the plugins' defaults).
ALGOS = {'sft': {'rows': 4, 'seq': 128, 'lr': 2e-5}, 'dpo': {'rows': 2, 'seq': 64, 'lr': 1e-6}}
DPO_BETA = 0.1
MAX_GRAD_NORM = 1.0


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(D, eps=1e-5)
        self.c_attn = nn.Linear(D, 3 * D)
        self.c_proj = nn.Linear(D, D)
        self.ln_2 = nn.LayerNorm(D, eps=1e-5)
        self.c_fc = nn.Linear(D, 4 * D)
        self.mlp_proj = nn.Linear(4 * D, D)

    def attention(self, x, causal):
        b, s, _ = x.shape
        q, k, v = self.c_attn(x).split(D, dim=2)
        # [b, s, d] → [b, heads, s, d / heads]
        q, k, v = (t.view(b, s, HEADS, D // HEADS).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D // HEADS))
        scores = scores.masked_fill(~causal[:s, :s], float('-inf'))
        y = F.softmax(scores, dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).reshape(b, s, D))

    def forward(self, x, causal):
        x = x + self.attention(self.ln_1(x), causal)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate='tanh'))


class Gpt2(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, D)
        self.wpe = nn.Embedding(POSITIONS, D)
        self.h = nn.ModuleList(Block() for _ in range(layers))
        self.ln_f = nn.LayerNorm(D, eps=1e-5)
        self.register_buffer('causal', torch.ones(POSITIONS, POSITIONS, dtype=torch.bool).tril(), persistent=False)
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear):
                nn.init.zeros_(module.bias)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        for block in self.h:
            x = block(x, self.causal)
        return F.linear(self.ln_f(x), self.wte.weight)  # the LM head tied to the token embedding


def completion_log_probs(logits, ids, mask):
    """log p of each token from the position before it, with the completion mask: [b, seq − 1] each."""
    logp = torch.gather(F.log_softmax(logits[:, :-1], dim=-1), 2, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
    return logp, mask[:, 1:]


def sft_loss(model, batch):
    logp, mask = completion_log_probs(model(batch['ids']), batch['ids'], batch['mask'])
    return -(logp * mask).sum() / mask.sum()


def sequence_log_probs(model, batch):
    logp, mask = completion_log_probs(model(batch['ids']), batch['ids'], batch['mask'])
    return (logp * mask).sum(-1)


def dpo_loss(model, reference, batch):
    with torch.no_grad():
        ref = sequence_log_probs(reference, batch)
    policy = sequence_log_probs(model, batch)
    u = policy - ref
    pairs = u.shape[0] // 2
    return -F.logsigmoid(DPO_BETA * (u[:pairs] - u[pairs:])).mean()


def make_batch(algo, rows, seq, generator):
    """Random tokens; the completion mask covers the second half of each sequence (the prompt is the first)."""
    sequences = 2 * rows if algo == 'dpo' else rows
    ids = torch.randint(0, VOCAB, (sequences, seq), generator=generator)
    mask = torch.zeros(sequences, seq)
    mask[:, seq // 2:] = 1
    return {'ids': ids, 'mask': mask}


def blas_library():
    """The BLAS shared library this process has loaded (torch's matmuls), resolved through Debian's alternatives."""
    with open('/proc/self/maps') as maps:
        paths = {line.split()[-1] for line in maps if 'blas' in os.path.basename(line.split()[-1]).lower()}
    return os.path.realpath(sorted(paths)[0]) if paths else None


def is_reference_blas(path):
    """Debian's netlib reference BLAS lives in .../blas/ (optimised providers in openblas-*/, blis-*/, ...)."""
    return path is not None and os.path.basename(os.path.dirname(path)) == 'blas'


def matmul_gflops(shape=(1024, 4096, 1024), warmup=1, runs=3):
    """torch's fp32 MatMul throughput, median of `runs`, at bench/lib/matmul-peak.mjs's large-K shape."""
    m, k, n = shape
    x, w = torch.randn(m, k), torch.randn(k, n)
    times = []
    for i in range(warmup + runs):
        start = time.perf_counter()
        torch.matmul(x, w)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return 2 * m * k * n / statistics.median(times) / 1e9


def probe(threads):
    """What bench/all.mjs checks before running the peer: is this a torch worth comparing with?"""
    torch.set_num_threads(threads)
    blas = blas_library()
    return {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas, 'referenceBlas': is_reference_blas(blas), 'matmulGflops': matmul_gflops()}


def run(args):
    environment = probe(args.threads)
    torch.manual_seed(0)
    settings = ALGOS[args.algo]
    rows = args.rows or settings['rows']
    seq = args.seq or settings['seq']
    model = Gpt2(args.layers)
    model.train()
    reference = None
    if args.algo == 'dpo':
        reference = copy.deepcopy(model).requires_grad_(False).eval()
    total = args.warmup + args.steps
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings['lr'], betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, (total - step) / total))
    generator = torch.Generator().manual_seed(42)
    times = []
    for _ in range(total):
        batch = make_batch(args.algo, rows, seq, generator)
        start = time.perf_counter()
        loss = sft_loss(model, batch) if args.algo == 'sft' else dpo_loss(model, reference, batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), MAX_GRAD_NORM)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - start)
    steady = times[args.warmup:]
    mean = statistics.mean(steady)
    tokens = (2 if args.algo == 'dpo' else 1) * rows * seq
    params = sum(p.numel() for p in model.parameters())
    return {
        'algo': args.algo,
        'model': f'gpt2 {args.layers}×{D}, {params / 1e6:.1f}M params (eager PyTorch {torch.__version__}, float32)',
        'shape': f'{rows} pairs × {seq} tokens' if args.algo == 'dpo' else f'{rows} × {seq} tokens',
        **environment,
        'warmupSeconds': times[:args.warmup],
        'stepSeconds': steady,
        'meanSeconds': mean,
        'medianSeconds': statistics.median(steady),
        'minSeconds': min(steady),
        'tokensPerSecond': tokens / mean,
        'lastLoss': loss.item(),
        'peakRssBytes': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def main():
    parser = argparse.ArgumentParser(description='Eager float32 PyTorch peer of bench/train.mjs (GPT-2-small shape).')
    parser.add_argument('--algo', choices=sorted(ALGOS), default='sft')
    # the same default as our compute backends (computeThreads()): the per-rank variable, else every core this process may use
    ours = int(os.environ.get('ALIGNTUNE_THREADS_PER_RANK') or len(os.sched_getaffinity(0)))
    parser.add_argument('--threads', type=int, default=ours, help='intra-op threads (torch.set_num_threads); default: as ours')
    parser.add_argument('--layers', type=int, default=12)
    parser.add_argument('--rows', type=int, help='sequences per step (pairs for dpo); default: the bench\'s')
    parser.add_argument('--seq', type=int, help='tokens per sequence; default: the bench\'s')
    parser.add_argument('--steps', type=int, default=3, help='timed steps, after the warm-up ones')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--json', action='store_true')
    parser.add_argument('--probe', action='store_true', help='print torch\'s version, BLAS library and MatMul GFLOP/s as JSON, and exit')
    args = parser.parse_args()
    if args.steps < 1 or args.warmup < 0 or args.threads < 1 or (args.seq is not None and not 2 <= args.seq <= POSITIONS):
        parser.error(f'need --steps ≥ 1, --warmup ≥ 0, --threads ≥ 1 and 2 ≤ --seq ≤ {POSITIONS}')
    if args.probe:
        print(json.dumps(probe(args.threads)))
        return
    result = run(args)
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['algo']} on {result['model']}, {result['shape']}, {result['threads']} threads")
    print(f"BLAS {result['blas']}{' (the reference BLAS: not a fair peer)' if result['referenceBlas'] else ''}; "
          f"torch fp32 MatMul {result['matmulGflops']:.1f} GFLOP/s")
    print(f"warm-up {', '.join(f'{t:.2f} s' for t in result['warmupSeconds'])}; then {', '.join(f'{t:.2f} s' for t in result['stepSeconds'])} per step")
    print(f"mean {result['meanSeconds']:.2f} s, median {result['medianSeconds']:.2f} s, min {result['minSeconds']:.2f} s; "
          f"{result['tokensPerSecond']:.1f} tokens/s; peak RSS {result['peakRssBytes'] / 2 ** 30:.2f} GiB")


if __name__ == '__main__':
    sys.exit(main())
