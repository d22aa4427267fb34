#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The peer of `eigml bench` for the encoders: BERT-base forward on a batch
of dialogues and ViT-B/16 forward on a batch of stickers, in PyTorch
(Debian's python3-torch) with its own modules: torch.nn.TransformerEncoder
of post-LN (BERT) or pre-LN (ViT) layers, in eval mode under
torch.inference_mode() (PyTorch's fastest inference path for them).

It prints "ready {...}" after a warm-up, then for every line "step" read on
standard input runs one forward and prints its time in ms."""

import argparse
import json
import sys
import time

import torch
import torch.nn as nn


class Bert(nn.Module):
    def __init__(self, vocab=21128, positions=512, hidden=768, heads=12, ffn=3072, layers=12):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.pos = nn.Embedding(positions, hidden)
        self.ttype = nn.Embedding(2, hidden)
        self.ln = nn.LayerNorm(hidden, eps=1e-12)
        layer = nn.TransformerEncoderLayer(hidden, heads, ffn, dropout=0.1, activation="gelu",
                                           layer_norm_eps=1e-12, batch_first=True,
                                           norm_first=False)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.pooler = nn.Linear(hidden, hidden)

    def forward(self, ids, types):
        t = ids.shape[1]
        x = self.ln(self.word(ids) + self.pos(torch.arange(t))[None] + self.ttype(types))
        x = self.encoder(x)
        return x, torch.tanh(self.pooler(x[:, 0]))


class Vit(nn.Module):
    def __init__(self, image=128, patch=16, hidden=768, heads=12, ffn=3072, layers=12):
        super().__init__()
        self.proj = nn.Conv2d(3, hidden, patch, patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, hidden))
        self.pos = nn.Parameter(torch.zeros(1, 1 + (image // patch) ** 2, hidden))
        layer = nn.TransformerEncoderLayer(hidden, heads, ffn, dropout=0.0, activation="gelu",
                                           layer_norm_eps=1e-6, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(hidden, eps=1e-6)

    def forward(self, pixels):
        x = self.proj(pixels).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        return self.norm(self.encoder(x))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["bert", "vit"], required=True)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--image", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.model == "bert":
        model = Bert().eval()
        ids = torch.randint(0, 21128, (args.batch, args.seq))
        types = torch.zeros_like(ids)
        inputs = (ids, types)
    else:
        model = Vit(image=args.image).eval()
        inputs = (torch.randn(args.batch, 3, args.image, args.image),)

    def step():
        with torch.inference_mode():
            model(*inputs)

    step()  # warm-up
    print("ready " + json.dumps({"peer": "pytorch " + torch.__version__,
                                 "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        if line.strip() != "step":
            break
        t0 = time.perf_counter()
        step()
        print("%.6f" % ((time.perf_counter() - t0) * 1000.0), flush=True)


if __name__ == "__main__":
    main()
