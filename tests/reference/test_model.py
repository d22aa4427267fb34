#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The EIGML model (heads and every loss term) against an independent PyTorch
implementation written from docs/model.md and the paper (suite reference).

The reference is built here equation by equation from docs/model.md, not from
eigml/model/; the encoders are test_encoders.py's Bert and Vit (themselves
proven against Eigml's encoders). Everything runs in float64 on weights and
inputs that are exactly the float32 values written for the C side.

The C helper `model-reference` (tests/reference/model-reference.c):

    model-reference CONFIG.json WEIGHTS.safetensors INPUTS.safetensors OUT.safetensors BACKEND

reads the config (docs/model.md "Config file"), the weights (checkpoint
names: text_encoder.<Hugging Face BERT>, visual_encoder.<timm>, heads), the
inputs (the batch plus the dropout masks it must use instead of its own RNG:
mask.intra_{t,v}{1,2} [B, H], mask.drop_path [N, 1]) and writes loss.<term>
(unweighted, absent when switched off), scores (training pass), eval_scores
(inference pass: no dropout, no stochastic depth) and grad.<parameter> (of
loss.total) under Eigml's parameter names (the ViT's fused qkv split into
query/key/value, its patch convolution as [h, 3 p p]).

Per case (the full model, one case with two tied knowledge relations, every
switch off alone, inter with samm off (the paper's Table 4 row), "base",
other loss weights) and per backend (cpu, vulkan) this checks: the set of
loss terms equals the reference's, each term, scores and eval_scores within
1e-4 (max |got - want| / max(max |want|, 1e-6)), the set of gradients
equals the set of parameters that receive one in PyTorch (the weights file
holds exactly these: the C side loads strictly), and each gradient within
1e-4 of its own scale, that scale at least 1e-5 of the model's largest
gradient (a gradient that is small because it is a difference of much
larger terms, such as iega.q_text's with few relations to attend over,
carries float32 noise of those terms); the attention key biases, exactly
zero in exact arithmetic, against 1e-3 of the largest gradient as in
test_encoders.py.

Usage: test_model.py [HELPER] [--cpu-only] [--all-switches] [--keep DIR] [--self-test]
  HELPER   defaults to $EIGML_MODEL_REFERENCE, else
           build/tests/reference/model-reference under the repository root
  --cpu-only    skip the Vulkan backend (reported as a TAP skip)
  --all-switches  instead of the cases above, all 128 combinations of the
                seven switches (slow: for a one-off sweep)
  --keep DIR    keep each case's config, weights, inputs and outputs in DIR
  --self-test   only the checks of the PyTorch model itself (no helper):
                gradcheck, directional derivatives, invariants
Prints TAP; exits non-zero on any failure.
"""

import json
import math
import os
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def _import_encoders():
    """test_encoders.py reads its helper from sys.argv[1] when imported"""
    saved = sys.argv
    sys.argv = [saved[0], "(unused)"]
    sys.path.insert(0, HERE)
    try:
        import test_encoders
    finally:
        sys.argv = saved
        sys.path.remove(HERE)
    return test_encoders


te = _import_encoders()
tap = te.tap
save_safetensors = te.save_safetensors
load_safetensors = te.load_safetensors
rel_error = te.rel_error

R = 4            # COMET relations
TOL = 1e-4
FLOOR = 1e-6           # losses and scores
GRAD_FLOOR = 1e-5      # gradients: times the model's largest gradient
EPS_BCE = 1e-6
LOSS_TERMS = ("total", "itm", "i2t", "t2i", "emo", "int", "emo_prime",
              "intra_emo_t", "intra_emo_v", "intra_int_t", "intra_int_v",
              "con_t", "con_v")
COMPONENTS = ("inter", "intra", "eiks", "iega", "samm", "emotion", "intention")
# gradients that are exactly zero in exact arithmetic (softmax ignores a
# constant added to every key of a query): compared against a model-wide floor
ZERO_BY_SYMMETRY = (".attention.self.key.bias", ".attn.key.bias", "iega.k_vis.bias")


# ---- configuration -------------------------------------------------------------

def make_config(components=None, **over):
    cfg = {
        "H": 32, "heads": 2, "layers": 1, "ffn": 64, "vocab": 60, "positions": 16,
        "T": 9, "Tk": 5, "image": 16, "patch": 8, "B": 3, "C": 4, "E": 7, "D": 16,
        "fusion_ffn": 48, "fusion_heads": 2, "intra_dropout": 0.25, "drop_path": 0.25,
        "temperature": 0.07, "intra_temperature": 0.05,
        "w_e": 0.5, "w_i": 0.5, "overrides": {}, "pooling": "cls",
        "components": {c: True for c in COMPONENTS},
    }
    if components:
        cfg["components"].update(components)
    for k, v in over.items():
        if k.startswith("w_") and k not in ("w_e", "w_i"):
            cfg["overrides"][k] = v
        else:
            cfg[k] = v
    return cfg


def weights_of(cfg):
    """docs/model.md: w_e sets w_e, w'_e, w_e^t, w_e^v; w_i sets w_i, w_i^t,
    w_i^v; each has its override"""
    w = {"w_e": cfg["w_e"], "w_e_prime": cfg["w_e"], "w_e_text": cfg["w_e"],
         "w_e_vision": cfg["w_e"], "w_i": cfg["w_i"], "w_i_text": cfg["w_i"],
         "w_i_vision": cfg["w_i"]}
    w.update(cfg["overrides"])
    return w


def active(cfg):
    """the switches as they take effect (docs/model.md's 'needs')"""
    c = cfg["components"]
    emo, intent = c["emotion"], c["intention"]
    return {"emotion": emo, "intention": intent, "inter": c["inter"], "intra": c["intra"],
            "eiks": c["eiks"] and emo and intent,
            "iega": c["iega"] and (emo or intent),
            "samm": c["samm"] and (emo or intent)}


def config_json(cfg):
    enc = {"hidden_size": cfg["H"], "num_attention_heads": cfg["heads"],
           "intermediate_size": cfg["ffn"], "num_hidden_layers": cfg["layers"],
           "hidden_act": "gelu", "hidden_dropout_prob": 0.0,
           "attention_probs_dropout_prob": 0.0}
    text = dict(enc, vocab_size=cfg["vocab"], max_position_embeddings=cfg["positions"],
                type_vocab_size=2, layer_norm_eps=1e-12)
    vision = dict(enc, image_size=cfg["image"], patch_size=cfg["patch"], num_channels=3,
                  layer_norm_eps=1e-6)
    j = {"text_encoder": text, "vision_encoder": vision,
         "max_len": cfg["T"], "knowledge_len": cfg["Tk"], "n_candidates": cfg["C"],
         "n_emotions": cfg["E"], "proj_dim": cfg["D"], "temperature": cfg["temperature"],
         "intra_temperature": cfg["intra_temperature"], "intra_dropout": cfg["intra_dropout"],
         "drop_path": cfg["drop_path"], "fusion_heads": cfg["fusion_heads"],
         "fusion_ffn": cfg["fusion_ffn"], "w_e": cfg["w_e"], "w_i": cfg["w_i"],
         "pooling": cfg["pooling"], "components": dict(cfg["components"])}
    j.update(cfg["overrides"])
    return j


# ---- parameters ----------------------------------------------------------------

def head_shapes(cfg):
    H, D, E, Fd = cfg["H"], cfg["D"], cfg["E"], cfg["fusion_ffn"]
    s = {}

    def lin(name, out, inp):
        s[name + ".weight"] = (out, inp)
        s[name + ".bias"] = (out,)
    lin("text_proj", D, H)
    lin("vision_proj", D, H)
    s["emo_embed.weight"] = (E + 1, H)
    lin("emo_head_v", H, H)
    lin("int_head", H, H)
    lin("emo_head_t", E, H)
    for m in ("t", "v"):
        for k in ("1", "2"):
            lin("intra_" + m + k, D, H)
    lin("eiks.delta1", H, H)
    lin("eiks.delta2", H, H)
    lin("eiks.gate", H, 2 * H)
    for n in ("q_text", "q_ei", "k_vis", "v_vis"):
        lin("iega." + n, H, H)
    s["iega.ln.weight"] = (H,)
    s["iega.ln.bias"] = (H,)
    lin("iega.fuse1", Fd, H)
    lin("iega.fuse2", H, Fd)
    lin("itm_head", 1, H)
    s["samm.alpha"] = (1,)
    s["samm.beta"] = (1,)
    return s


class Reference:
    """float64 EIGML: test_encoders' Bert and Vit plus the heads as leaf
    tensors by checkpoint name"""

    def __init__(self, cfg, seed):
        torch.manual_seed(seed)
        H = cfg["H"]
        self.cfg = cfg
        grid = cfg["image"] // cfg["patch"]
        bert = te.Bert(cfg["vocab"], cfg["positions"], 2, H, cfg["heads"], cfg["ffn"],
                       cfg["layers"])
        vit = te.Vit(cfg["image"], cfg["patch"], grid, H, cfg["heads"], cfg["ffn"],
                     cfg["layers"])
        with torch.no_grad():
            for p in list(bert.parameters()) + list(vit.parameters()):
                p.add_(torch.randn_like(p) * 0.02)
        heads = {}
        for name, shape in head_shapes(cfg).items():
            if name in ("samm.alpha", "samm.beta"):
                t = torch.tensor([0.3 if name == "samm.alpha" else -0.4])
            elif name == "iega.ln.weight":
                t = 1 + 0.1 * torch.randn(shape)
            elif name == "emo_embed.weight":
                t = 0.5 * torch.randn(shape)
            elif name.endswith(".bias"):
                t = 0.1 * torch.randn(shape)
            else:
                t = 0.25 * torch.randn(shape)
            heads[name] = t
        # the float32 values that go to the C side, then the same in float64
        self.bert = bert.double()
        self.vit = vit.double()
        self.heads = {k: v.double().requires_grad_(True) for k, v in heads.items()}

    # -- checkpoint and gradient names --

    def checkpoint(self, trainable):
        """float32, by checkpoint name, the parameters whose Eigml names are
        in trainable (the C side loads strictly: the config's parameters,
        no more; BERT's pooler is not one)"""
        out = {}
        for k, v in self.bert.hf_state().items():
            name = "text_encoder." + k[len("bert."):]
            if name in trainable:
                out[name] = v.detach().float().clone()
        for k, v in self.vit.timm_state().items():
            probe = k.replace(".qkv.", ".query.")
            if probe in trainable:
                out[k] = v.detach().float().clone()
        for k, v in self.heads.items():
            if k in trainable:
                out[k] = v.detach().float().clone()
        return out

    def zero_grad(self):
        self.bert.zero_grad(set_to_none=True)
        self.vit.zero_grad(set_to_none=True)
        for v in self.heads.values():
            v.grad = None

    def grads(self):
        """gradients by Eigml's names, only for parameters that got one"""
        out = {}
        for k, v in self.bert.hf_state().items():
            leaf = v if v.is_leaf else v._base
            if leaf.grad is None:
                continue
            g = self.bert.hf_state(grads=True)[k]
            out["text_encoder." + k[len("bert."):]] = g.detach().clone()
        for k, v in self.vit.timm_state().items():
            if v.grad is None:
                continue
            g = v.grad.detach()
            if k.endswith(".qkv.weight") or k.endswith(".qkv.bias"):
                h = g.shape[0] // 3
                stem, kind = k.rsplit(".qkv.", 1)
                for j, part in enumerate(("query", "key", "value")):
                    out["%s.%s.%s" % (stem, part, kind)] = g[j * h:(j + 1) * h].clone()
            elif k.endswith("patch_embed.proj.weight"):
                out[k] = g.reshape(g.shape[0], -1).clone()
            else:
                out[k] = g.clone()
        for k, v in self.heads.items():
            if v.grad is not None:
                out[k] = v.grad.detach().clone()
        return out

    # -- forward --

    def forward(self, x, train=True, params=None):
        """x: the inputs (float64 / long); returns (losses dict, scores);
        losses hold exactly the terms the config defines, plus 'total'.
        params overrides head tensors (for gradcheck)."""
        cfg = self.cfg
        P = dict(self.heads)
        if params:
            P.update(params)
        on = active(cfg)
        w = weights_of(cfg)
        B, C, H = cfg["B"], cfg["C"], cfg["H"]
        N = B * C
        tau, tau2 = cfg["temperature"], cfg["intra_temperature"]

        def lin(name, inp):
            return F.linear(inp, P[name + ".weight"], P[name + ".bias"])

        def gelu_mlp(a, b, inp):
            return lin(b, F.gelu(lin(a, inp)))

        sel = x["pos_select"]                                   # [B, N]
        pos_idx = sel.argmax(1)                                 # i C + pos_i
        rows = torch.arange(B)
        labels = x["labels"]
        e_t = x["emo_dist"]                                     # [B, E]
        has_emo = x["has_emo"]                                  # [B, 1]

        # encoders: [CLS] hidden states (not the pooler)
        tmask = (x["text_mask"].reshape(B, -1) == 0).long()
        Ft, _ = self.bert(x["text_ids"], tmask, x["text_types"])
        t = pooled(cfg, Ft, tmask)                              # [B, H]
        Fv = self.vit(x["pixels"])                              # [N, P+1, H]
        v = pooled(cfg, Fv)                                     # [N, H]

        L = {}
        # eq 2-3, semantic alignment
        th = F.normalize(lin("text_proj", t), dim=-1)
        vh = F.normalize(lin("vision_proj", v), dim=-1)
        vh_pos = sel @ vh
        L["i2t"] = F.cross_entropy(vh_pos @ th.T / tau, rows)
        L["t2i"] = F.cross_entropy(th @ vh.T / tau, pos_idx)

        # eq 4-5, emotion
        if on["emotion"]:
            E_t = P["emo_embed.weight"][x["emo_label"]]         # [B, H]
            E_v = lin("emo_head_v", v)                          # [N, H]
            E_v_pos = sel @ E_v
            L_emo = F.kl_div(F.log_softmax(E_v_pos, -1), F.log_softmax(E_t, -1),
                             log_target=True, reduction="batchmean")

        # knowledge and EIKS (eq 11-13)
        m = torch.ones(B, R, dtype=torch.float64)
        if on["intention"]:
            kmask = (x["know_mask"].reshape(B * R, -1) == 0).long()
            Fk, _ = self.bert(x["know_ids"], kmask, x["know_types"])
            I_t = pooled(cfg, Fk, kmask).reshape(B, R, H)
            I_p = I_t
            if on["eiks"]:
                z = lin("emo_head_t", t)
                L["emo_prime"] = (-(e_t * F.log_softmax(z, -1)).sum(-1)).mean()
                logq = F.log_softmax(lin("emo_head_t", I_t), -1)       # [B, R, E]
                q = logq.exp()
                ell = -(e_t[:, None, :] * logq).sum(-1)                 # [B, R]
                with torch.no_grad():
                    top = (ell == ell.max(1, keepdim=True).values).double()
                    xr = top / top.sum(1, keepdim=True)
                m = 1 - has_emo * xr
                G = (q * e_t.sum(-1)[:, None, None] - e_t[:, None, :]) @ P["emo_head_t.weight"]
                g_mean = (m[..., None] * G).sum(1) / m.sum(1, keepdim=True)
                delta = gelu_mlp("eiks.delta1", "eiks.delta2", g_mean)  # [B, H]
                I_ke = I_t + delta[:, None, :]
                wk = torch.sigmoid(lin("eiks.gate", torch.cat([I_t, I_ke], -1)))
                I_p = wk * I_ke + (1 - wk) * I_t
            i_bar = (m[..., None] * I_p).sum(1) / m.sum(1, keepdim=True)   # [B, H]
            I_v = lin("int_head", v)                                       # [N, H]
            ih = F.normalize(i_bar, dim=-1)
            Ivh = F.normalize(I_v, dim=-1)
            L_int = (F.cross_entropy((sel @ Ivh) @ ih.T / tau, rows) +
                     F.cross_entropy(ih @ Ivh.T / tau, pos_idx))

        # eq 7
        if on["inter"]:
            if on["emotion"]:
                L["emo"] = L_emo
            if on["intention"]:
                L["int"] = L_int

        # eq 8-10, intra-modality
        if on["intra"]:
            def sym_kl(l1, l2):
                kl12 = (l1.exp() * (l1 - l2)).sum(-1).mean()
                kl21 = (l2.exp() * (l2 - l1)).sum(-1).mean()
                return 0.5 * (kl12 + kl21)

            bases = {"t": t, "v": sel @ v}
            emo_head = {"t": "emo_head_t", "v": "emo_head_v"}
            for mo in ("t", "v"):
                u1 = bases[mo] * x["mask.intra_%s1" % mo]
                u2 = bases[mo] * x["mask.intra_%s2" % mo]
                if on["emotion"]:
                    L["intra_emo_" + mo] = sym_kl(F.log_softmax(lin(emo_head[mo], u1), -1),
                                                  F.log_softmax(lin(emo_head[mo], u2), -1))
                if on["intention"]:
                    L["intra_int_" + mo] = sym_kl(F.log_softmax(lin("int_head", u1), -1),
                                                  F.log_softmax(lin("int_head", u2), -1))
                z1 = F.normalize(lin("intra_%s1" % mo, u1), dim=-1)
                z2 = F.normalize(lin("intra_%s2" % mo, u2), dim=-1)
                L["con_" + mo] = 0.5 * (F.cross_entropy(z1 @ z2.T / tau2, rows) +
                                        F.cross_entropy(z2 @ z1.T / tau2, rows))

        # eq 14-16, fusion
        nh = cfg["fusion_heads"]
        d = H // nh

        def split(a):                      # [..., L, H] -> [..., nh, L, d]
            return a.reshape(*a.shape[:-1], nh, d).transpose(-3, -2)

        K_V = split(lin("iega.k_vis", Fv))                       # [N, nh, P+1, d]
        V_V = split(lin("iega.v_vis", Fv))
        Q_T = split(lin("iega.q_text", t)[:, None, :]).repeat_interleave(C, 0)  # [N, nh, 1, d]
        if on["iega"]:
            parts, mask_parts = [], []
            if on["intention"]:
                parts.append(I_p)
                mask_parts.append(-10000.0 * (1 - m))
            if on["emotion"]:
                parts.append(E_t[:, None, :])
                mask_parts.append(torch.zeros(B, 1, dtype=torch.float64))
            E_IT = torch.cat(parts, 1)                                   # [B, Q, H]
            amask = torch.cat(mask_parts, 1).repeat_interleave(C, 0)     # [N, Q]
            Q_EI = split(lin("iega.q_ei", E_IT)).repeat_interleave(C, 0)  # [N, nh, Q, d]
            V_EIV = torch.softmax(Q_EI @ K_V.transpose(-1, -2) / math.sqrt(d), -1) @ V_V
            att = Q_T @ Q_EI.transpose(-1, -2) / math.sqrt(d) + amask[:, None, None, :]
            E_fuse = torch.softmax(att, -1) @ V_EIV                      # [N, nh, 1, d]
        else:
            E_fuse = torch.softmax(Q_T @ K_V.transpose(-1, -2) / math.sqrt(d), -1) @ V_V
        E_fuse = E_fuse.transpose(1, 2).reshape(N, H)
        sd = x["mask.drop_path"] if train else torch.ones(N, 1, dtype=torch.float64)
        h = F.layer_norm(t.repeat_interleave(C, 0) + sd * E_fuse, (H,),
                         P["iega.ln.weight"], P["iega.ln.bias"], eps=1e-12)
        Z = gelu_mlp("iega.fuse1", "iega.fuse2", h)
        s_vl = lin("itm_head", Z).squeeze(-1)                           # [N]
        p_vl = torch.sigmoid(s_vl)

        # eq 17-19, SAMM, and eq 1
        if on["samm"]:
            def cos01(a, b):
                return (1 + (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1))) / 2
            terms = []
            if on["emotion"]:
                terms.append(cos01(E_t.repeat_interleave(C, 0), E_v))
            if on["intention"]:
                terms.append(cos01(i_bar.repeat_interleave(C, 0), I_v))
            if len(terms) == 2:
                alpha = torch.sigmoid(P["samm.alpha"])
                s_ei = alpha * terms[0] + (1 - alpha) * terms[1]
            else:
                s_ei = terms[0]
            beta = torch.sigmoid(P["samm.beta"])
            scores = beta * p_vl + (1 - beta) * s_ei
            pt = EPS_BCE + (1 - 2 * EPS_BCE) * scores
            L["itm"] = -(labels * torch.log(pt) + (1 - labels) * torch.log(1 - pt)).mean()
        else:
            scores = p_vl
            L["itm"] = F.binary_cross_entropy_with_logits(s_vl, labels)

        # eq 7, 10, 20
        inter = L["i2t"] + L["t2i"]
        if on["inter"]:
            if on["emotion"]:
                inter = inter + w["w_e"] * L["emo"]
            if on["intention"]:
                inter = inter + w["w_i"] * L["int"]
        total = L["itm"] + inter
        if on["intra"]:
            for mo, side in (("t", "text"), ("v", "vision")):
                if on["emotion"]:
                    total = total + w["w_e_" + side] * L["intra_emo_" + mo]
                if on["intention"]:
                    total = total + w["w_i_" + side] * L["intra_int_" + mo]
                total = total + L["con_" + mo]
        if on["eiks"]:
            total = total + w["w_e_prime"] * L["emo_prime"]
        L["total"] = total
        self.last = {"m": m.detach()}
        return L, scores


# ---- inputs --------------------------------------------------------------------

def first_argmax(row):
    best = 0
    for j in range(1, len(row)):
        if row[j] > row[best]:
            best = j
    return best


def make_inputs(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    B, C, E, H, T, Tk = cfg["B"], cfg["C"], cfg["E"], cfg["H"], cfg["T"], cfg["Tk"]
    N = B * C
    S = cfg["image"]
    assert B >= 3
    x = {}
    ids = torch.randint(5, cfg["vocab"], (B, T), generator=g, dtype=torch.int32)
    ids[:, 0] = 2                                          # [CLS]
    types = torch.randint(0, 2, (B, T), generator=g, dtype=torch.int32)
    types[:, 0] = 0
    keep = torch.ones(B, T)
    keep[1, T - 3:] = 0
    keep[2, T - 1:] = 0
    ids[keep == 0] = 0
    x["text_ids"], x["text_types"] = ids, types
    x["text_mask"] = ((1 - keep) * -10000.0).reshape(B, 1, 1, T)
    kids = torch.randint(5, cfg["vocab"], (B * R, Tk), generator=g, dtype=torch.int32)
    kids[:, 0] = 2
    ktypes = torch.zeros(B * R, Tk, dtype=torch.int32)
    kkeep = torch.ones(B * R, Tk)
    kkeep[1, Tk - 2:] = 0
    kkeep[6, Tk - 1:] = 0
    kkeep[B * R - 1, 2:] = 0
    kids[kkeep == 0] = 0
    x["know_ids"], x["know_types"] = kids, ktypes
    x["know_mask"] = ((1 - kkeep) * -10000.0).reshape(B * R, 1, 1, Tk)
    x["pixels"] = torch.randn(N, 3, S, S, generator=g)
    pos = [(2 + 3 * i) % C for i in range(B)]              # 2, 1, 0, 3, ...
    sel = torch.zeros(B, N)
    for i in range(B):
        sel[i, i * C + pos[i]] = 1
    x["pos_select"] = sel
    x["labels"] = sel.sum(0)
    # emotions: a tie for the first maximum (indices 1 and 3), no emotion,
    # a single peak; further rows random
    dist = torch.zeros(B, E)
    dist[0, [1, 3, 4]] = torch.tensor([0.4, 0.4, 0.2])
    dist[2] = torch.softmax(torch.randn(E, generator=g) * 2, 0)
    for i in range(3, B):
        dist[i] = torch.softmax(torch.randn(E, generator=g) * 2, 0)
    x["emo_dist"] = dist
    labels = []
    for i in range(B):
        labels.append(E if float(dist[i].abs().sum()) == 0 else first_argmax(dist[i].tolist()))
    assert labels[0] == 1
    x["emo_label"] = torch.tensor(labels, dtype=torch.int32)
    x["has_emo"] = (dist.abs().sum(1, keepdim=True) > 0).float()

    def drop(shape, p):
        kept = (torch.rand(shape, generator=g) >= p).float()
        return kept / (1 - p)
    pi = cfg["intra_dropout"]
    for name in ("intra_t1", "intra_t2", "intra_v1", "intra_v2"):
        x["mask." + name] = drop((B, H), pi)
    dp = drop((N, 1), cfg["drop_path"])
    dp[0, 0] = 0                       # at least one candidate dropped,
    dp[1, 0] = 1 / (1 - cfg["drop_path"])   # one kept
    x["mask.drop_path"] = dp
    return x


def as_double(x):
    out = {}
    for k, v in x.items():
        out[k] = v.long() if v.dtype == torch.int32 else v.double()
    return out


def pooled(cfg, states, mask=None):
    """docs/model.md "Encoders": the [CLS] state, or with "pooling": "mean"
    the mean of the states where the (0/1) mask is 1 (all when None)"""
    if cfg.get("pooling", "cls") != "mean":
        return states[:, 0]
    if mask is None:
        return states.mean(1)
    w = mask.to(states.dtype)[..., None]
    return (states * w).sum(1) / w.sum(1)


def tie_relations(model, x):
    """copy the relation with the largest EIKS loss of dialogue 0 onto
    another relation, so that two relations share the maximum (x_r = 1/2)"""
    cfg = model.cfg
    B, H = cfg["B"], cfg["H"]
    with torch.no_grad():
        xd = as_double(x)
        kmask = (xd["know_mask"].reshape(B * R, -1) == 0).long()
        Fk, _ = model.bert(xd["know_ids"], kmask, xd["know_types"])
        I_t = pooled(cfg, Fk, kmask).reshape(B, R, H)
        logq = F.log_softmax(F.linear(I_t, model.heads["emo_head_t.weight"],
                                      model.heads["emo_head_t.bias"]), -1)
        ell = -(xd["emo_dist"][:, None, :] * logq).sum(-1)
    top = int(ell[0].argmax())
    other = (top + 2) % R
    y = dict(x)
    for k in ("know_ids", "know_types", "know_mask"):
        y[k] = x[k].clone()
        y[k][other] = x[k][top]
    return y


# ---- one case ------------------------------------------------------------------

def reference_run(model, x):
    """(losses, scores, eval_scores, grads, m) in float64; m: EIKS's keep
    weights [B, R]"""
    xd = as_double(x)
    model.zero_grad()
    L, scores = model.forward(xd, train=True)
    L["total"].backward()
    grads = model.grads()
    m = model.last["m"]
    with torch.no_grad():
        _, eval_scores = model.forward(xd, train=False)
    model.zero_grad()
    return ({k: v.detach() for k, v in L.items()}, scores.detach(), eval_scores.detach(),
            grads, m)


def check_invariants(tag, L, scores, eval_scores):
    ok = all(torch.isfinite(v).all() for v in L.values())
    ok = ok and bool(((scores > 0) & (scores < 1)).all())
    ok = ok and bool(((eval_scores > 0) & (eval_scores < 1)).all())
    why = "losses %s scores %s" % ({k: float(v) for k, v in L.items()}, scores.tolist())
    tap(ok, tag + ": reference losses finite, scores in (0, 1)", why)


def compare_case(tag, got, L, scores, eval_scores, grads):
    want_terms = {"loss." + k for k in L}
    got_terms = {k for k in got if k.startswith("loss.")}
    tap(want_terms == got_terms, tag + ": loss terms written",
        "missing %s, unexpected %s" % (sorted(want_terms - got_terms),
                                       sorted(got_terms - want_terms)))
    bad = []
    for k in sorted(L):
        have = got.get("loss." + k)
        if have is None:
            continue
        want = L[k].reshape(1)
        if tuple(have.shape) != (1,):
            bad.append("%s (shape %s)" % (k, tuple(have.shape)))
            continue
        err = rel_error(have, want, FLOOR)
        if not err <= TOL:
            bad.append("%s: %.9g, expected %.9g (%.3g)" % (k, float(have[0]), float(want[0]), err))
    tap(not bad, tag + ": %d loss terms" % len(L), "; ".join(bad))
    for name, want in (("scores", scores), ("eval_scores", eval_scores)):
        have = got.get(name)
        if have is None:
            tap(False, tag + ": " + name, "not written")
        elif tuple(have.shape) != tuple(want.shape):
            tap(False, tag + ": " + name, "shape %s, expected %s" % (tuple(have.shape),
                                                                    tuple(want.shape)))
        else:
            err = rel_error(have, want, FLOOR)
            tap(err <= TOL, tag + ": " + name,
                "error %.3g; got %s, expected %s" % (err, [round(v, 6) for v in have.tolist()],
                                                     [round(v, 6) for v in want.tolist()]))
    want_g = set(grads)
    got_g = {k[len("grad."):] for k in got if k.startswith("grad.")}
    extra = sorted(got_g - want_g)
    extra_desc = ["%s (max |g| %.3g)" % (k, float(got["grad." + k].abs().max())) for k in extra]
    tap(want_g == got_g, tag + ": gradients for exactly the %d trainable parameters" % len(want_g),
        "missing %s; unexpected %s" % (sorted(want_g - got_g)[:12], extra_desc[:12]))
    big = max(float(g.abs().max()) for g in grads.values())
    bad = []
    for k in sorted(grads):
        want = grads[k]
        have = got.get("grad." + k)
        if have is None:
            continue
        if tuple(have.shape) != tuple(want.shape):
            bad.append("%s (shape %s, expected %s)" % (k, tuple(have.shape), tuple(want.shape)))
            continue
        floor = (1e-3 if k.endswith(ZERO_BY_SYMMETRY) else GRAD_FLOOR) * big
        err = rel_error(have, want, floor)
        if not err <= TOL:
            bad.append("%s (%.3g, max |want| %.3g)" % (k, err, float(want.abs().max())))
    tap(not bad, tag + ": gradients within %g" % TOL,
        "%d bad: %s" % (len(bad), ", ".join(bad[:8])))


def run_helper(helper, paths, backend):
    cmd = [helper, paths["config"], paths["weights"], paths["inputs"],
           paths["out"] % backend, backend]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except OSError as e:
        return None, str(e)
    if p.returncode != 0:
        lines = [ln.strip() for ln in (p.stderr + p.stdout).splitlines()
                 if ln.strip() and "OpenBLAS did not recognise" not in ln]
        return None, " | ".join(lines)[-1500:] or "exit %d" % p.returncode
    return load_safetensors(paths["out"] % backend), None


CASES = [
    ("full", {}, {}),
    ("full, tied relations", {}, {"tie": True}),
    ("w/o inter", {"inter": False}, {}),
    ("w/o intra", {"intra": False}, {}),
    ("w/o eiks", {"eiks": False}, {}),
    ("w/o iega", {"iega": False}, {}),
    ("w/o samm", {"samm": False}, {}),
    ("w/o emotion", {"emotion": False}, {}),
    ("w/o intention", {"intention": False}, {}),
    ("w/o inter and samm (Table 4)", {"inter": False, "samm": False}, {}),
    ("base", {c: False for c in COMPONENTS}, {}),
    ("w/o emotion and intention (eiks, iega, samm on but inert)",
     {"emotion": False, "intention": False}, {}),
    ("w/o inter, intra, samm (the visual heads reach no loss)",
     {"inter": False, "intra": False, "samm": False}, {}),
    ("w_e 0.25, w_i 1, w_e_prime 0.75", {}, {"w_e": 0.25, "w_i": 1.0, "w_e_prime": 0.75}),
    ("w_e 1, w_i 0.25, w_e_text 0.75, w_i_vision 0", {},
     {"w_e": 1.0, "w_i": 0.25, "w_e_text": 0.75, "w_i_vision": 0.0}),
    ("full, mean pooling", {}, {"pooling": "mean"}),
]


def all_switch_cases():
    """every combination of the seven switches (--all-switches)"""
    out = []
    for bits in range(1 << len(COMPONENTS)):
        comps = {c: not (bits >> i) & 1 for i, c in enumerate(COMPONENTS)}
        off = [c for c in COMPONENTS if not comps[c]]
        out.append(("switches off: " + (", ".join(off) if off else "none"), comps, {}))
    return out


def build_case(idx, label, comps, extra):
    extra = dict(extra)
    tie = extra.pop("tie", False)
    cfg = make_config(comps, **extra)
    model = Reference(cfg, 1000 + idx)
    x = make_inputs(cfg, 2000 + idx)
    if tie:
        x = tie_relations(model, x)
    return cfg, model, x


def main_driver(helper, backends, keep, cases):
    torch.set_num_threads(2)
    if not os.access(helper, os.X_OK):
        tap(False, "model-reference helper exists", helper + " is not an executable")
        return
    tmp_ctx = None
    if keep:
        os.makedirs(keep, exist_ok=True)
        tmp = keep
    else:
        tmp_ctx = tempfile.TemporaryDirectory(prefix="eigml-model-ref-")
        tmp = tmp_ctx.name
    try:
        for idx, (label, comps, extra) in enumerate(cases):
            cfg, model, x = build_case(idx, label, comps, extra)
            L, scores, eval_scores, grads, m = reference_run(model, x)
            check_invariants(label, L, scores, eval_scores)
            if extra.get("tie"):
                tap(bool((m[0] == 0.5).sum() == 2 and (m[0] == 1).sum() == 2),
                    label + ": two relations share the maximum (m = 1/2)", str(m.tolist()))
            print("# %s: %s" % (label, ", ".join("%s %.6g" % (k, float(v))
                                                 for k, v in sorted(L.items()))), flush=True)
            stem = os.path.join(tmp, "case%02d" % idx)
            paths = {"config": stem + ".json", "weights": stem + "-weights.safetensors",
                     "inputs": stem + "-inputs.safetensors", "out": stem + "-out-%s.safetensors"}
            with open(paths["config"], "w") as f:
                json.dump(config_json(cfg), f, indent=1)
            save_safetensors(model.checkpoint(set(grads)), paths["weights"])
            save_safetensors(x, paths["inputs"])
            for backend in backends:
                tag = "%s %s" % (label, backend)
                got, err = run_helper(helper, paths, backend)
                if got is None:
                    tap(False, tag + ": model-reference runs", err)
                    continue
                compare_case(tag, got, L, scores, eval_scores, grads)
    finally:
        if tmp_ctx:
            tmp_ctx.cleanup()


# ---- checks of the reference itself --------------------------------------------

def self_test():
    torch.set_num_threads(2)
    # 1. gradcheck on a tiny config, through a few head tensors and the pixels
    cfg = make_config(H=8, heads=2, ffn=16, D=4, fusion_ffn=12, T=6, Tk=4, vocab=30)
    model = Reference(cfg, 7)
    x = as_double(make_inputs(cfg, 8))
    names = ["eiks.delta1.weight", "eiks.gate.bias", "iega.q_ei.weight", "emo_head_t.weight",
             "samm.alpha", "samm.beta", "int_head.bias", "emo_embed.weight"]

    def f(*ts):
        L, scores = model.forward(x, params=dict(zip(names, ts)))
        return L["total"], scores
    inputs = [model.heads[n].detach().clone().requires_grad_(True) for n in names]
    ok = torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-7, rtol=1e-5, raise_exception=False)
    tap(ok, "self-test: gradcheck of loss.total and scores (tiny config, %d head tensors)"
        % len(names))

    # 2. directional derivative of loss.total along a random direction in all
    #    parameters, for every case
    for idx, (label, comps, extra) in enumerate(CASES):
        cfg, model, x = build_case(idx, label, comps, extra)
        xd = as_double(x)
        L, scores, eval_scores, grads, m = reference_run(model, x)
        check_invariants("self-test " + label, L, scores, eval_scores)
        params = list(model.bert.parameters()) + list(model.vit.parameters()) + \
            list(model.heads.values())
        model.zero_grad()
        Lt, _ = model.forward(xd)
        Lt["total"].backward()
        gen = torch.Generator().manual_seed(idx)
        dirs = [torch.randn(p.shape, generator=gen, dtype=torch.float64) for p in params]
        analytic = sum(float((p.grad * dv).sum()) for p, dv in zip(params, dirs)
                       if p.grad is not None)
        h = 1e-5
        vals = []
        with torch.no_grad():
            for s in (h, -h):
                for p, dv in zip(params, dirs):
                    p.add_(s * dv)
                vals.append(float(model.forward(xd)[0]["total"]))
                for p, dv in zip(params, dirs):
                    p.sub_(s * dv)
        numeric = (vals[0] - vals[1]) / (2 * h)
        err = abs(numeric - analytic) / max(abs(analytic), 1e-8)
        tap(err < 1e-5, "self-test %s: directional derivative of loss.total" % label,
            "analytic %.10g numeric %.10g" % (analytic, numeric))
        model.zero_grad()
        if extra.get("tie"):
            tap(bool((m[0] == 0.5).sum() == 2), "self-test %s: tie shares the exclusion" % label,
                str(m.tolist()))

    # 3. a dialogue without emotion: L'_emo gets nothing from it, it excludes
    #    no relation, and its e_t never reaches the loss
    cfg, model, x = build_case(0, "full", {}, {})
    L, _, _, _, m = reference_run(model, x)
    tap(bool((m[1] == 1).all()), "self-test: a dialogue without emotion keeps all relations",
        str(m.tolist()))
    xd = as_double(x)
    with torch.no_grad():
        Ft, _ = model.bert(xd["text_ids"], (xd["text_mask"].reshape(cfg["B"], -1) == 0).long(),
                           xd["text_types"])
        z = F.linear(Ft[:, 0], model.heads["emo_head_t.weight"], model.heads["emo_head_t.bias"])
        per_row = -(xd["emo_dist"] * F.log_softmax(z, -1)).sum(-1)
    tap(float(per_row[1]) == 0 and abs(float(per_row.mean()) - float(L["emo_prime"])) < 1e-12,
        "self-test: L'_emo is the mean over all rows, 0 for the row without emotion",
        str(per_row.tolist()))
    # eval scores do not depend on the dropout masks
    y = dict(x)
    for k in list(y):
        if k.startswith("mask."):
            y[k] = torch.ones_like(y[k])
    _, _, e1, _, _ = reference_run(model, x)
    _, s2, e2, _, _ = reference_run(model, y)
    tap(torch.equal(e1, e2) and torch.allclose(s2, e2, rtol=0, atol=1e-14),
        "self-test: eval_scores = scores with all masks 1, independent of the masks")


def main():
    args = sys.argv[1:]
    keep = None
    if "--keep" in args:
        i = args.index("--keep")
        keep = args[i + 1]
        del args[i:i + 2]
    if "--self-test" in args:
        self_test()
    else:
        cpu_only = "--cpu-only" in args
        sweep = "--all-switches" in args
        args = [a for a in args if a not in ("--cpu-only", "--vulkan", "--all-switches")]
        helper = args[0] if args else os.environ.get(
            "EIGML_MODEL_REFERENCE", os.path.join(ROOT, "build", "tests", "reference",
                                                  "model-reference"))
        backends = ["cpu"] if cpu_only else ["cpu", "vulkan"]
        if cpu_only:
            print("ok %d - vulkan backend # SKIP --cpu-only" % (len(te.results) + 1))
            te.results.append((True, "vulkan", "skip"))
        main_driver(helper, backends, keep,
                    all_switch_cases() if sweep else CASES)
    print("1..%d" % len(te.results))
    sys.exit(0 if te.results and all(r[0] for r in te.results) else 1)


if __name__ == "__main__":
    main()
