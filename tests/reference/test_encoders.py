#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Eigml's BERT and ViT encoders against PyTorch's own modules on the same
weights (meson suite `reference`).

The reference models are built from torch.nn.TransformerEncoderLayer
(post-LN with eps 1e-12 for BERT, pre-LN with eps 1e-6 for ViT) plus
embeddings, pooler, patch embedding, class token, position embeddings
(resized with torch.nn.functional.interpolate(mode='bicubic')) and final
norm, with random weights. Their state is written with Hugging Face BERT and
timm/ALBEF names, in safetensors (written here by hand: python3-safetensors
is not in Debian) and in torch.save's zip format. The C helper
`encoder-reference` loads each file, runs forward and backward of
L = sum(hidden * U) (+ sum(pooled * V)) and writes what it got; this script
compares hidden states (1e-5 relative on the CPU backend, 1e-4 on Vulkan),
and the gradients of every parameter and of the pixels (1e-4).

Usage: test_encoders.py HELPER [--vulkan]   (prints TAP)
"""

import json
import os
import struct
import subprocess
import sys
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F

HELPER = sys.argv[1]
BACKENDS = ["cpu"] + (["vulkan"] if "--vulkan" in sys.argv else [])
results = []


def tap(ok, name, why=""):
    results.append((ok, name, why))
    print("%s %d - %s%s" % ("ok" if ok else "not ok", len(results), name,
                            "" if ok else " # " + why), flush=True)


# ---- safetensors, by hand --------------------------------------------------

DTYPES = {torch.float32: "F32", torch.int32: "I32", torch.int64: "I64",
          torch.float16: "F16", torch.bfloat16: "BF16"}


def save_safetensors(tensors, path):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        raw = t.view(torch.uint8).numpy().tobytes() if t.dtype == torch.bfloat16 \
            else t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        assert e["dtype"] in ("F32", "I32"), e["dtype"]
        dt = torch.float32 if e["dtype"] == "F32" else torch.int32
        buf = bytearray(data[base + a:base + b])
        out[name] = torch.frombuffer(buf, dtype=dt).reshape(e["shape"]).clone() \
            if b > a else torch.zeros(e["shape"], dtype=dt)
    return out


# ---- the reference models ----------------------------------------------------

class Bert(nn.Module):
    def __init__(self, vocab, positions, types, hidden, heads, ffn, layers):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.pos = nn.Embedding(positions, hidden)
        self.ttype = nn.Embedding(types, hidden)
        self.ln = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(hidden, heads, ffn, dropout=0.0, activation="gelu",
                                       layer_norm_eps=1e-12, batch_first=True,
                                       norm_first=False) for _ in range(layers)])
        self.pooler = nn.Linear(hidden, hidden)

    def forward(self, ids, mask, types):
        t = ids.shape[1]
        x = self.word(ids) + self.pos(torch.arange(t))[None] + self.ttype(types)
        x = self.ln(x)
        pad = None if mask is None else (mask == 0)
        for layer in self.layers:
            x = layer(x, src_key_padding_mask=pad)
        return x, torch.tanh(self.pooler(x[:, 0]))

    def hf_state(self, grads=False):
        """Hugging Face BertModel names (prefix bert.); with grads, the
        parameters' gradients under the same names"""
        def v(t):
            if not grads:
                return t
            return t.grad if t.grad is not None else torch.zeros_like(t)

        s = {"bert.embeddings.word_embeddings.weight": v(self.word.weight),
             "bert.embeddings.position_embeddings.weight": v(self.pos.weight),
             "bert.embeddings.token_type_embeddings.weight": v(self.ttype.weight),
             "bert.embeddings.LayerNorm.weight": v(self.ln.weight),
             "bert.embeddings.LayerNorm.bias": v(self.ln.bias),
             "bert.pooler.dense.weight": v(self.pooler.weight),
             "bert.pooler.dense.bias": v(self.pooler.bias)}
        for i, layer in enumerate(self.layers):
            p = "bert.encoder.layer.%d." % i
            h = layer.self_attn.embed_dim
            w, b = v(layer.self_attn.in_proj_weight), v(layer.self_attn.in_proj_bias)
            for j, part in enumerate(("query", "key", "value")):
                s[p + "attention.self.%s.weight" % part] = w[j * h:(j + 1) * h]
                s[p + "attention.self.%s.bias" % part] = b[j * h:(j + 1) * h]
            s[p + "attention.output.dense.weight"] = v(layer.self_attn.out_proj.weight)
            s[p + "attention.output.dense.bias"] = v(layer.self_attn.out_proj.bias)
            s[p + "attention.output.LayerNorm.weight"] = v(layer.norm1.weight)
            s[p + "attention.output.LayerNorm.bias"] = v(layer.norm1.bias)
            s[p + "intermediate.dense.weight"] = v(layer.linear1.weight)
            s[p + "intermediate.dense.bias"] = v(layer.linear1.bias)
            s[p + "output.dense.weight"] = v(layer.linear2.weight)
            s[p + "output.dense.bias"] = v(layer.linear2.bias)
            s[p + "output.LayerNorm.weight"] = v(layer.norm2.weight)
            s[p + "output.LayerNorm.bias"] = v(layer.norm2.bias)
        return s


class Vit(nn.Module):
    def __init__(self, image, patch, ckpt_grid, hidden, heads, ffn, layers):
        super().__init__()
        self.patch = patch
        self.grid = image // patch
        self.proj = nn.Conv2d(3, hidden, patch, patch)
        self.cls = nn.Parameter(torch.randn(1, 1, hidden) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, 1 + ckpt_grid * ckpt_grid, hidden) * 0.02)
        self.ckpt_grid = ckpt_grid
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(hidden, heads, ffn, dropout=0.0, activation="gelu",
                                       layer_norm_eps=1e-6, batch_first=True,
                                       norm_first=True) for _ in range(layers)])
        self.norm = nn.LayerNorm(hidden, eps=1e-6)

    def resized_pos(self):
        """ALBEF's interpolate_pos_embed"""
        if self.ckpt_grid == self.grid:
            return self.pos
        h = self.pos.shape[-1]
        grid = self.pos[:, 1:].reshape(1, self.ckpt_grid, self.ckpt_grid, h).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(self.grid, self.grid), mode="bicubic",
                             align_corners=False)
        grid = grid.permute(0, 2, 3, 1).flatten(1, 2)
        return torch.cat([self.pos[:, :1], grid], dim=1)

    def forward(self, pixels, pos=None):
        x = self.proj(pixels).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)
        x = x + (self.resized_pos() if pos is None else pos)
        for layer in self.layers:
            x = layer(x)
        return self.norm(x)

    def timm_state(self):
        """timm / ALBEF names (prefix visual_encoder.), fused qkv"""
        s = {"visual_encoder.patch_embed.proj.weight": self.proj.weight,
             "visual_encoder.patch_embed.proj.bias": self.proj.bias,
             "visual_encoder.cls_token": self.cls,
             "visual_encoder.pos_embed": self.pos,
             "visual_encoder.norm.weight": self.norm.weight,
             "visual_encoder.norm.bias": self.norm.bias}
        for i, layer in enumerate(self.layers):
            p = "visual_encoder.blocks.%d." % i
            s[p + "norm1.weight"] = layer.norm1.weight
            s[p + "norm1.bias"] = layer.norm1.bias
            s[p + "attn.qkv.weight"] = layer.self_attn.in_proj_weight
            s[p + "attn.qkv.bias"] = layer.self_attn.in_proj_bias
            s[p + "attn.proj.weight"] = layer.self_attn.out_proj.weight
            s[p + "attn.proj.bias"] = layer.self_attn.out_proj.bias
            s[p + "norm2.weight"] = layer.norm2.weight
            s[p + "norm2.bias"] = layer.norm2.bias
            s[p + "mlp.fc1.weight"] = layer.linear1.weight
            s[p + "mlp.fc1.bias"] = layer.linear1.bias
            s[p + "mlp.fc2.weight"] = layer.linear2.weight
            s[p + "mlp.fc2.bias"] = layer.linear2.bias
        return s


def rel_error(got, want, floor=0.0):
    """max |got - want| / max |want| (at least floor)"""
    got, want = got.double(), want.double()
    scale = max(want.abs().max().item(), floor)
    return (got - want).abs().max().item() / max(scale, 1e-30)


def compare_grads(tag, got, grads):
    """Every parameter's gradient within 1e-4 of its own scale. Some are
    zero in exact arithmetic (the attention key bias: softmax ignores a
    constant per row), so each scale is at least 1e-3 of the largest
    gradient of the model."""
    floor = 1e-3 * max(g.abs().max().item() for g in grads.values())
    bad = []
    for name, want in grads.items():
        have = got.get("grad." + name)
        if have is None:
            bad.append(name + " (missing)")
        elif have.shape != want.shape:
            bad.append("%s (shape %s, expected %s)" % (name, tuple(have.shape),
                                                         tuple(want.shape)))
        elif rel_error(have, want, floor) > 1e-4:
            bad.append("%s (%.3g)" % (name, rel_error(have, want, floor)))
    tap(not bad, tag + ": gradients of %d parameters" % len(grads), ", ".join(bad[:5]))


def compare(name, got, want, tol):
    if got.shape != want.shape:
        tap(False, name, "shape %s, expected %s" % (tuple(got.shape), tuple(want.shape)))
        return False
    err = rel_error(got, want)
    tap(err <= tol, name, "normalised error %.3g > %.3g" % (err, tol))
    return err <= tol


def run_helper(kind, config, weights, inputs, backend, tmp):
    out = os.path.join(tmp, "out-%s-%s.safetensors" % (kind, backend))
    cmd = [HELPER, kind, config, weights, inputs, out, backend]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    if p.returncode != 0:
        tap(False, "%s %s helper runs" % (kind, backend), p.stderr.strip()[-2000:])
        return None
    return load_safetensors(out)


# ---- the cases ---------------------------------------------------------------

def case_bert(tmp, label, hidden, heads, ffn, layers, vocab=97, positions=40, batch=3, t=11):
    torch.manual_seed(hash(label) % 1000)
    model = Bert(vocab, positions, 2, hidden, heads, ffn, layers)
    with torch.no_grad():
        for p in model.parameters():   # away from the trivial init of LayerNorm
            p.add_(torch.randn_like(p) * 0.02)
    ids = torch.randint(0, vocab, (batch, t), dtype=torch.int32)
    types = torch.randint(0, 2, (batch, t), dtype=torch.int32)
    mask = torch.ones(batch, t, dtype=torch.int32)
    mask[1, t - 4:] = 0
    if batch > 2:
        mask[2, t - 1:] = 0
    config = os.path.join(tmp, label + ".json")
    with open(config, "w") as f:
        json.dump({"hidden_size": hidden, "num_attention_heads": heads,
                   "intermediate_size": ffn, "num_hidden_layers": layers,
                   "vocab_size": vocab, "max_position_embeddings": positions,
                   "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}, f)
    state = {k: v.detach().clone() for k, v in model.hf_state().items()}
    st_path = os.path.join(tmp, label + ".safetensors")
    pt_path = os.path.join(tmp, label + ".bin")
    save_safetensors(state, st_path)
    torch.save(state, pt_path)

    for masked in (True, False):
        model.zero_grad()
        hidden_ref, pooled_ref = model(ids.long(), mask if masked else None, types.long())
        up = torch.randn_like(hidden_ref)
        up_pooled = torch.randn_like(pooled_ref)
        if masked:  # padded positions carry no loss (their states are not compared)
            up = up * mask[..., None]
        loss = (hidden_ref * up).sum() + (pooled_ref * up_pooled).sum()
        loss.backward()
        grads = {k[len("bert."):]: v for k, v in model.hf_state(grads=True).items()}
        inputs = {"ids": ids, "types": types, "upstream": up, "upstream_pooled": up_pooled}
        if masked:
            inputs["mask"] = mask
        in_path = os.path.join(tmp, "%s-%s-in.safetensors" % (label, masked))
        save_safetensors(inputs, in_path)
        for weights, fmt in ((st_path, "safetensors"), (pt_path, "torch.save")):
            for backend in BACKENDS:
                tag = "%s %s %s%s" % (label, fmt, backend, " masked" if masked else "")
                got = run_helper("text", config, weights, in_path, backend, tmp)
                if got is None:
                    continue
                tol = 1e-5 if backend == "cpu" else 1e-4
                keep = mask[..., None].bool() if masked else torch.ones_like(up).bool()
                compare(tag + ": hidden states", got["hidden"] * keep,
                        hidden_ref.detach() * keep, tol)
                compare(tag + ": pooled", got["pooled"], pooled_ref.detach(), tol)
                compare_grads(tag, got, grads)


def case_vit(tmp, label, image, patch, ckpt_grid, hidden, heads, ffn, layers, batch=2):
    torch.manual_seed(hash(label) % 1000 + 7)
    model = Vit(image, patch, ckpt_grid, hidden, heads, ffn, layers)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    pixels = torch.randn(batch, 3, image, image, requires_grad=True)
    config = os.path.join(tmp, label + ".json")
    with open(config, "w") as f:
        json.dump({"hidden_size": hidden, "num_attention_heads": heads,
                   "intermediate_size": ffn, "num_hidden_layers": layers,
                   "image_size": image, "patch_size": patch, "num_channels": 3,
                   "layer_norm_eps": 1e-6, "hidden_act": "gelu"}, f)
    state = {k: v.detach().clone() for k, v in model.timm_state().items()}
    st_path = os.path.join(tmp, label + ".safetensors")
    pt_path = os.path.join(tmp, label + ".pth")
    save_safetensors(state, st_path)
    torch.save({"model": state}, pt_path)   # as ALBEF.pth nests it

    # Eigml's pos_embed parameter is the resized one: its gradient is the
    # gradient of the resized tensor, so the reference uses it as a leaf
    pos = model.resized_pos().detach().clone().requires_grad_(True)
    hidden_ref = model(pixels, pos)
    up = torch.randn_like(hidden_ref)
    live = model.timm_state()
    (hidden_ref * up).sum().backward()
    grads = {}
    for k, v in vit_eigml_grads_from(live).items():
        grads[k] = v
    grads["pos_embed"] = pos.grad
    in_path = os.path.join(tmp, label + "-in.safetensors")
    save_safetensors({"pixels": pixels.detach(), "upstream": up}, in_path)
    for weights, fmt in ((st_path, "safetensors"), (pt_path, "torch.save")):
        for backend in BACKENDS:
            tag = "%s %s %s" % (label, fmt, backend)
            got = run_helper("image", config, weights, in_path, backend, tmp)
            if got is None:
                continue
            tol = 1e-5 if backend == "cpu" else 1e-4
            compare(tag + ": hidden states", got["hidden"], hidden_ref.detach(), tol)
            compare(tag + ": gradient of the pixels", got["grad.pixels"], pixels.grad, 1e-4)
            compare_grads(tag, got, grads)


def vit_eigml_grads_from(live):
    """gradients by Eigml name from the timm-named live tensors"""
    out = {}
    for name, t in live.items():
        eig = name[len("visual_encoder."):]
        g = t.grad if t.grad is not None else torch.zeros_like(t)
        if eig == "pos_embed":
            continue  # compared through the resized leaf
        if eig.endswith(".qkv.weight") or eig.endswith(".qkv.bias"):
            h = g.shape[0] // 3
            stem, kind = eig.rsplit(".qkv.", 1)
            for j, part in enumerate(("query", "key", "value")):
                out["%s.%s.%s" % (stem, part, kind)] = g[j * h:(j + 1) * h]
        elif eig == "patch_embed.proj.weight":
            out[eig] = g.reshape(g.shape[0], -1)
        else:
            out[eig] = g
    return out


def case_interpolate(tmp):
    """position-embedding resize = F.interpolate(bicubic), through a ViT
    whose checkpoint grid differs from its input grid, forward only"""
    for src, dst in ((14, 8), (16, 8), (5, 9), (7, 7)):
        torch.manual_seed(src * 31 + dst)
        h = 12
        pos = torch.randn(1, 1 + src * src, h)
        grid = pos[:, 1:].reshape(1, src, src, h).permute(0, 3, 1, 2)
        want = F.interpolate(grid, size=(dst, dst), mode="bicubic", align_corners=False)
        want = torch.cat([pos[:, :1], want.permute(0, 2, 3, 1).flatten(1, 2)], dim=1)
        path = os.path.join(tmp, "pos-%d-%d.safetensors" % (src, dst))
        save_safetensors({"pos": pos, "size": torch.tensor([dst], dtype=torch.int32)}, path)
        out = os.path.join(tmp, "pos-%d-%d-out.safetensors" % (src, dst))
        p = subprocess.run([HELPER, "interpolate", path, out], capture_output=True, text=True)
        if p.returncode != 0:
            tap(False, "bicubic %d -> %d" % (src, dst), p.stderr.strip()[-500:])
            continue
        compare("position embeddings %dx%d -> %dx%d match F.interpolate(bicubic)" %
                (src, src, dst, dst), load_safetensors(out)["pos"], want, 1e-5)


def main():
    torch.set_num_threads(2)
    torch.set_default_dtype(torch.float32)
    with tempfile.TemporaryDirectory(prefix="eigml-ref-") as tmp:
        case_interpolate(tmp)
        case_bert(tmp, "bert-small", 64, 4, 128, 2)
        case_vit(tmp, "vit-small-resized", 32, 8, 6, 64, 4, 128, 2)
        case_vit(tmp, "vit-small", 32, 8, 4, 64, 4, 128, 2)
        case_bert(tmp, "bert-base-layer", 768, 12, 3072, 1, vocab=300, positions=64, batch=2, t=24)
    print("1..%d" % len(results))
    sys.exit(0 if all(r[0] for r in results) else 1)


if __name__ == "__main__":
    main()
