#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The peer of `eigml bench`: one BERT-base encoder layer, forward and
backward, in PyTorch (Debian's python3-torch), on the same shapes and thread
count as Eigml's measurement.

Without --serve it prints one JSON object with the best of --repeat steps.
With --serve it prints "ready" after a warm-up step, then for every line
"step" read on standard input runs one step and prints its time in ms, so
that the caller can alternate its own steps with these."""

import argparse
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BertLayer(nn.Module):
    """Post-LN BERT layer, as transformers.BertLayer computes it."""

    def __init__(self, hidden, heads, ffn, eps, dropout):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attn_out = nn.Linear(hidden, hidden)
        self.ln_attn = nn.LayerNorm(hidden, eps=eps)
        self.ffn_in = nn.Linear(hidden, ffn)
        self.ffn_out = nn.Linear(ffn, hidden)
        self.ln_ffn = nn.LayerNorm(hidden, eps=eps)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, mask):
        b, t, h = x.shape
        d = h // self.heads

        def split(y):
            return y.view(b, t, self.heads, d).permute(0, 2, 1, 3)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + mask
        p = self.drop(F.softmax(scores, dim=-1))
        ctx = (p @ v).permute(0, 2, 1, 3).reshape(b, t, h)
        x = self.ln_attn(x + self.drop(self.attn_out(ctx)))
        return self.ln_ffn(x + self.drop(self.ffn_out(F.gelu(self.ffn_in(x)))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--hidden", type=int, default=768)
    parser.add_argument("--heads", type=int, default=12)
    parser.add_argument("--ffn", type=int, default=3072)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--serve", action="store_true")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    layer = BertLayer(args.hidden, args.heads, args.ffn, 1e-12, 0.1).train()
    x = torch.randn(args.batch, args.seq, args.hidden, requires_grad=True)
    w = torch.randn(args.batch, args.seq, args.hidden)
    mask = torch.zeros(args.batch, 1, 1, args.seq)

    def step():
        loss = (layer(x, mask) * w).sum()
        loss.backward()

    step()  # warm-up
    if args.serve:
        print("ready " + json.dumps({"peer": "pytorch " + torch.__version__,
                                     "threads": torch.get_num_threads()}), flush=True)
        for line in sys.stdin:
            if line.strip() != "step":
                break
            t0 = time.perf_counter()
            step()
            print("%.6f" % ((time.perf_counter() - t0) * 1000.0), flush=True)
        return
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000.0)
    print(json.dumps({"peer": "pytorch " + torch.__version__, "ms": min(times),
                      "times_ms": times, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
