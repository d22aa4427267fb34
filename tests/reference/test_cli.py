#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`eigml encode` and `eigml convert` on checkpoints PyTorch wrote (suite
reference): an ALBEF-like nested torch.save with a 14 x 14 position grid
for a 128 x 128 input, a Hugging Face-like BERT folder; the [CLS] state the
CLI prints equals PyTorch's on the same weights. Prints TAP."""

import json
import math
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

EIGML = sys.argv[1]
results = []


def tap(ok, name, why=""):
    results.append(ok)
    print("%s %d - %s%s" % ("ok" if ok else "not ok", len(results), name, "" if ok else " # " + why),
          flush=True)


def run(*args):
    return subprocess.run([EIGML] + list(args), capture_output=True, text=True, timeout=600)


def cls_values(out):
    m = re.search(r"\[CLS\] state: (\d+) values.*?\n  \[([^\]]*)\]", out, re.S)
    return [float(v) for v in m.group(2).replace("...", "").split(",") if v.strip()] if m else None


def main():
    torch.manual_seed(3)
    h, layers = 64, 2
    with tempfile.TemporaryDirectory(prefix="eigml-cli-") as tmp:
        # --- an ALBEF-like visual encoder: nested {"model": ...}, 14 x 14 grid
        vit_layers = nn.ModuleList([nn.TransformerEncoderLayer(h, 4, 128, 0.0, "gelu", 1e-6, True,
                                                               True) for _ in range(layers)])
        proj = nn.Conv2d(3, h, 16, 16)
        cls = torch.randn(1, 1, h) * 0.02
        pos = torch.randn(1, 1 + 14 * 14, h) * 0.02
        norm = nn.LayerNorm(h, eps=1e-6)
        sd = {"visual_encoder.patch_embed.proj.weight": proj.weight,
              "visual_encoder.patch_embed.proj.bias": proj.bias,
              "visual_encoder.cls_token": cls, "visual_encoder.pos_embed": pos,
              "visual_encoder.norm.weight": norm.weight, "visual_encoder.norm.bias": norm.bias,
              "text_encoder.embeddings.word_embeddings.weight": torch.randn(10, h)}
        for i, l in enumerate(vit_layers):
            p = "visual_encoder.blocks.%d." % i
            sd.update({p + "norm1.weight": l.norm1.weight, p + "norm1.bias": l.norm1.bias,
                       p + "attn.qkv.weight": l.self_attn.in_proj_weight,
                       p + "attn.qkv.bias": l.self_attn.in_proj_bias,
                       p + "attn.proj.weight": l.self_attn.out_proj.weight,
                       p + "attn.proj.bias": l.self_attn.out_proj.bias,
                       p + "norm2.weight": l.norm2.weight, p + "norm2.bias": l.norm2.bias,
                       p + "mlp.fc1.weight": l.linear1.weight, p + "mlp.fc1.bias": l.linear1.bias,
                       p + "mlp.fc2.weight": l.linear2.weight, p + "mlp.fc2.bias": l.linear2.bias})
        ckpt = os.path.join(tmp, "ALBEF-small.pth")
        torch.save({"model": {k: v.detach().clone() for k, v in sd.items()}}, ckpt)
        cfg = os.path.join(tmp, "vit.json")
        json.dump({"hidden_size": h, "num_hidden_layers": layers, "num_attention_heads": 4,
                   "intermediate_size": 128, "image_size": 128, "patch_size": 16}, open(cfg, "w"))
        rgb = (np.random.RandomState(1).rand(128, 128, 3) * 255).astype(np.uint8)
        png = os.path.join(tmp, "sticker.png")
        Image.fromarray(rgb).save(png)

        r = run("encode", "--image", png, "--model", ckpt, "--config", cfg, "--backend", "cpu")
        got = cls_values(r.stdout)
        tap(r.returncode == 0 and got is not None, "encode --image on ALBEF-like .pth",
            r.stderr.strip()[-300:])
        tap("0 parameters not in the checkpoint, 0 checkpoint tensors unused" in r.stdout,
            "every ViT parameter loaded, the text encoder's tensors left alone", r.stdout[:300])
        with torch.no_grad():
            x = torch.from_numpy(rgb).permute(2, 0, 1).float()[None] / 255.0
            mean = torch.tensor([0.485, 0.456, 0.406])[:, None, None]
            std = torch.tensor([0.229, 0.224, 0.225])[:, None, None]
            x = (x - mean) / std
            t = proj(x).flatten(2).transpose(1, 2)
            grid = pos[:, 1:].reshape(1, 14, 14, h).permute(0, 3, 1, 2)
            grid = F.interpolate(grid, size=(8, 8), mode="bicubic", align_corners=False)
            p = torch.cat([pos[:, :1], grid.permute(0, 2, 3, 1).flatten(1, 2)], 1)
            t = torch.cat([cls.expand(1, -1, -1), t], 1) + p
            for l in vit_layers:
                t = l(t)
            want = norm(t)[0, 0, :8].tolist()
        tap(got is not None and max(abs(a - b) for a, b in zip(got, want)) < 2e-4,
            "the printed [CLS] state equals PyTorch's", "%s vs %s" % (got, want))

        out = os.path.join(tmp, "visual.safetensors")
        r = run("convert", "--only", "visual_encoder.", ckpt, out)
        tap(r.returncode == 0 and "30 tensors" in r.stdout, "convert --only visual_encoder.",
            r.stdout + r.stderr)
        r = run("encode", "--image", png, "--model", out, "--config", cfg, "--backend", "cpu")
        tap(r.returncode == 0 and cls_values(r.stdout) == got,
            "the converted safetensors encodes the same", r.stderr[-300:])

        # --- errors: clear message, exit status 1 or 2, no crash
        for args, name in ((["convert", os.path.join(tmp, "missing.pth"), out], "missing input"),
                           (["encode", "--image", png, "--model", png, "--config", cfg],
                            "an image given as a checkpoint"),
                           (["encode", "--text", "hi"], "text without a vocabulary"),
                           (["encode"], "nothing to encode")):
            r = run(*args)
            tap(r.returncode in (1, 2) and r.stderr.startswith("eigml"), name + " is an error",
                "rc %d: %s" % (r.returncode, r.stderr[-200:]))
    print("1..%d" % len(results))
    sys.exit(0 if all(results) else 1)


main()
