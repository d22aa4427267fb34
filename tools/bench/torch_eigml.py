#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The peer of `eigml bench` for the whole EIGML model at the paper's shape:
BERT-base (text and the four knowledge relations) + ViT-B/16 on 16
dialogues x 10 candidates at 128 x 128, every head and loss of
docs/model.md, in PyTorch (Debian's python3-torch) with its own modules.

--mode train: one training step (forward, backward, AdamW) per "step".
--mode rank: scoring 10 candidates for one dialogue (inference).
--shape demo: the default model's sizes instead (data/default/train.json:
hidden 128, 2 layers, 4 heads, 64 x 64 images, 32 + 4 x 16 tokens), the
peer of tools/bench-server.

It prints "ready {...}" after a warm-up, then for every line "step" read on
standard input runs one step and prints its time in ms."""

import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_encoders import Bert, Vit  # noqa: E402

H, D, E, R = 768, 256, 7, 4
SHAPES = {
    # hidden, proj, heads, ffn, layers, vocab, positions, image, text len, knowledge len
    "paper": (768, 256, 12, 3072, 12, 21128, 512, 128, 128, 32),
    "demo": (128, 64, 4, 256, 2, 10000, 64, 64, 32, 16),
}
SHAPE = SHAPES["paper"]


class Eigml(nn.Module):
    def __init__(self):
        super().__init__()
        hidden, _, heads, ffn, layers, vocab, positions, image = SHAPE[:8]
        self.text = Bert(vocab, positions, hidden, heads, ffn, layers)
        self.vision = Vit(image, 16, hidden, heads, ffn, layers)
        L = lambda i, o: nn.Linear(i, o)  # noqa: E731
        self.text_proj, self.vision_proj = L(H, D), L(H, D)
        self.emo_embed = nn.Embedding(E + 1, H)
        self.emo_head_v, self.int_head, self.emo_head_t = L(H, H), L(H, H), L(H, E)
        self.intra = nn.ModuleList([L(H, D) for _ in range(4)])
        self.delta1, self.delta2, self.gate = L(H, H), L(H, H), L(2 * H, H)
        self.q_text, self.q_ei, self.k_vis, self.v_vis = L(H, H), L(H, H), L(H, H), L(H, H)
        self.ln = nn.LayerNorm(H, eps=1e-12)
        self.fuse1, self.fuse2, self.itm = L(H, ffn), L(ffn, H), L(H, 1)
        self.alpha = nn.Parameter(torch.zeros(1))
        self.beta = nn.Parameter(torch.zeros(1))
        self.heads = heads

    def split(self, x):
        return x.view(x.shape[0], x.shape[1], self.heads, -1).transpose(1, 2)

    def forward(self, b, train):
        B, C = b["text_ids"].shape[0], b["pixels"].shape[0] // b["text_ids"].shape[0]
        N = B * C
        f_t = self.text(b["text_ids"], b["text_types"])[0]
        t = f_t[:, 0]
        f_v = self.vision(b["pixels"])
        v = f_v[:, 0]
        i_t = self.text(b["know_ids"], b["know_types"])[0][:, 0].view(B, R, H)
        e_t = self.emo_embed(b["emo_label"])
        e_v, i_v = self.emo_head_v(v), self.int_head(v)
        e = b["emo_dist"]
        # EIKS
        lq = F.log_softmax(self.emo_head_t(i_t), -1)
        loss_r = -(e[:, None] * lq).sum(-1)
        x = (loss_r == loss_r.max(1, keepdim=True).values).float()
        x = (x / x.sum(1, keepdim=True)).detach()
        keep = 1 - b["has_emo"] * x
        g = (lq.exp() * e.sum(-1)[:, None, None] - e[:, None]) @ self.emo_head_t.weight
        gbar = (g * keep[..., None]).sum(1) / keep.sum(1, keepdim=True)
        delta = self.delta2(F.gelu(self.delta1(gbar)))[:, None]
        w = torch.sigmoid(self.gate(torch.cat([i_t, i_t + delta], -1)))
        i_t = i_t + w * delta
        i_bar = (i_t * keep[..., None]).sum(1) / keep.sum(1, keepdim=True)
        # IEGA on the [CLS] row
        e_it = torch.cat([i_t, e_t[:, None]], 1)
        mask = torch.cat([-10000.0 * (1 - keep), torch.zeros(B, 1)], 1)[:, None, None]
        q_ei = self.split(self.q_ei(e_it))
        k, vv = self.split(self.k_vis(f_v)), self.split(self.v_vis(f_v))
        d = H // self.heads
        att = torch.softmax(q_ei.repeat_interleave(C, 0) @ k.transpose(-1, -2) / math.sqrt(d), -1)
        v_eiv = att @ vv
        q_t = self.q_text(t).view(B, self.heads, 1, d)
        a = torch.softmax(q_t @ q_ei.transpose(-1, -2) / math.sqrt(d) + mask, -1)
        e_fuse = (a.repeat_interleave(C, 0) @ v_eiv).reshape(N, H)
        if train:
            e_fuse = e_fuse * (torch.rand(N, 1) >= 0.1).float() / 0.9
        z = self.fuse2(F.gelu(self.fuse1(self.ln(t.repeat_interleave(C, 0) + e_fuse))))
        p_vl = torch.sigmoid(self.itm(z)[:, 0])
        s_emo = (1 + F.cosine_similarity(e_t.repeat_interleave(C, 0), e_v, -1)) / 2
        s_int = (1 + F.cosine_similarity(i_bar.repeat_interleave(C, 0), i_v, -1)) / 2
        al, be = torch.sigmoid(self.alpha), torch.sigmoid(self.beta)
        p = be * p_vl + (1 - be) * (al * s_emo + (1 - al) * s_int)
        if not train:
            return p
        y, sel, diag, pos = b["labels"], b["pos_select"], torch.arange(B), b["pos_index"]
        pt = 1e-6 + (1 - 2e-6) * p
        itm = -(y * pt.log() + (1 - y) * (1 - pt).log()).mean()
        th = F.normalize(self.text_proj(t), dim=-1)
        vh = F.normalize(self.vision_proj(v), dim=-1)
        i2t = F.cross_entropy(sel @ vh @ th.T / 0.07, diag)
        t2i = F.cross_entropy(th @ vh.T / 0.07, pos)
        emo = F.kl_div(F.log_softmax(sel @ e_v, -1), F.log_softmax(e_t, -1), log_target=True,
                       reduction="batchmean")
        ih, ivh = F.normalize(i_bar, dim=-1), F.normalize(i_v, dim=-1)
        intl = F.cross_entropy(sel @ ivh @ ih.T / 0.07, diag) + F.cross_entropy(ih @ ivh.T / 0.07, pos)
        emo_p = -(e * F.log_softmax(self.emo_head_t(t), -1)).sum(-1).mean()
        intra = 0
        for m, (base, eh) in enumerate([(t, self.emo_head_t), (sel @ v, self.emo_head_v)]):
            u1, u2 = F.dropout(base, 0.1), F.dropout(base, 0.1)
            for head, wgt in ((eh, 0.5), (self.int_head, 0.5)):
                l1, l2 = F.log_softmax(head(u1), -1), F.log_softmax(head(u2), -1)
                intra = intra + wgt * 0.5 * (F.kl_div(l2, l1, log_target=True, reduction="batchmean")
                                             + F.kl_div(l1, l2, log_target=True, reduction="batchmean"))
            z1 = F.normalize(self.intra[2 * m](u1), dim=-1)
            z2 = F.normalize(self.intra[2 * m + 1](u2), dim=-1)
            intra = intra + 0.5 * (F.cross_entropy(z1 @ z2.T / 0.05, diag)
                                   + F.cross_entropy(z2 @ z1.T / 0.05, diag))
        return itm + i2t + t2i + 0.5 * emo + 0.5 * intl + intra + 0.5 * emo_p


def batch(B, C):
    T, Tk, S, vocab = SHAPE[8], SHAPE[9], SHAPE[7], SHAPE[5]
    g = torch.Generator().manual_seed(0)
    N = B * C
    pos = torch.randint(0, C, (B,), generator=g)
    sel = torch.zeros(B, N)
    sel[torch.arange(B), torch.arange(B) * C + pos] = 1
    labels = torch.zeros(N)
    labels[torch.arange(B) * C + pos] = 1
    emo = torch.zeros(B, E)
    emo[torch.arange(B), torch.arange(B) % E] = 1
    return {
        "text_ids": torch.randint(0, vocab, (B, T), generator=g),
        "text_types": torch.zeros(B, T, dtype=torch.long),
        "know_ids": torch.randint(0, vocab, (B * R, Tk), generator=g),
        "know_types": torch.zeros(B * R, Tk, dtype=torch.long),
        "pixels": torch.randn(N, 3, S, S, generator=g),
        "labels": labels, "pos_select": sel, "pos_index": torch.arange(B) * C + pos,
        "emo_dist": emo, "emo_label": emo.argmax(-1), "has_emo": torch.ones(B, 1),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["train", "rank"], required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="paper")
    args = parser.parse_args()
    global H, D, SHAPE
    SHAPE = SHAPES[args.shape]
    H, D = SHAPE[0], SHAPE[1]
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Eigml()
    if args.mode == "train":
        b = batch(16, 10)
        opt = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.01)
        model.train()

        def step():
            opt.zero_grad(set_to_none=True)
            loss = model(b, True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
    else:
        b = batch(1, 10)
        model.eval()

        def step():
            with torch.inference_mode():
                model(b, False)

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
