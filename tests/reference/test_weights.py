#!/usr/bin/python3
# test_weights.py: weight files written by real PyTorch, read by Eigml
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Run by meson (suite 'reference') with Debian's /usr/bin/python3 and
# python3-torch:  test_weights.py PATH/TO/weights-convert
#
# The script writes a state dict with every kind of tensor a checkpoint
# holds (f32, f16, bf16, int64, int32, bool, uint8, a Parameter, a scalar,
# transposed, sliced, strided and permuted views sharing one storage, IEEE
# special values) with torch.save in each layout (zip with pickle protocol 2
# and 4, nested {'model': ...} with an optimizer beside it, legacy non-zip)
# and as a safetensors file written here by hand (python3-safetensors is not
# in Debian). For each file, weights-convert loads it with
# eigml_weights_load() and writes it back with
# eigml_weights_save_safetensors(); this script parses that output itself and
# compares every tensor with what PyTorch holds, bit for bit. Then it checks
# that pickles from real torch.save that call os.system or eval, or hold a
# whole nn.Module, are refused and that nothing ran; and that torch.load
# reads the checkpoints the C tests write byte by byte (zip, zip64, legacy)
# as holding exactly what those tests expect.
#
# Output: TAP.

import collections
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch

CONVERT = sys.argv[1]
RESULTS = []


def report(name, ok, detail=""):
    RESULTS.append(ok)
    print("%s %d - %s%s" % ("ok" if ok else "not ok", len(RESULTS), name,
                            "" if ok else ": " + detail), flush=True)


def state_dict():
    g = torch.Generator().manual_seed(1234)
    base = torch.randn(4, 6, generator=g)
    half = torch.randn(2, 3, generator=g).half()
    sd = collections.OrderedDict()
    sd["encoder.weight"] = torch.nn.Parameter(torch.randn(3, 5, generator=g))
    sd["encoder.bias"] = torch.randn(5, generator=g)
    sd["base"] = base
    sd["transposed"] = base.t()                 # shares base's storage
    sd["slice"] = base[1:3, 2:5]                # storage offset and strides
    sd["strided"] = base[:, ::2]                # stride 2 along the last axis
    sd["half"] = half
    sd["half_t"] = half.t()
    sd["bf16"] = torch.randn(7, generator=g).bfloat16()
    sd["ids"] = torch.tensor([[0, -5, 2**31 - 1], [-2**31, 7, 9]], dtype=torch.int64)
    sd["i32"] = torch.arange(-3, 3, dtype=torch.int32).reshape(2, 3)
    sd["mask"] = torch.tensor([True, False, True])
    sd["u8"] = torch.tensor([0, 255, 7], dtype=torch.uint8)
    sd["scalar"] = torch.tensor(2.5)
    sd["permuted4d"] = torch.randn(2, 3, 4, 5, generator=g).permute(3, 1, 0, 2)
    sd["special"] = torch.tensor([0.0, -0.0, float("inf"), float("-inf"), float("nan"),
                                  1e-40, 3.4e38, -1.17549435e-38])
    return sd


def expected(tensor):
    """What Eigml must hold: f32 for floating types, i32 for integers."""
    t = tensor.detach()
    if t.is_floating_point():
        return t.float().contiguous().numpy()
    return t.to(torch.int32).contiguous().numpy()


def read_safetensors(path):
    """Parses a safetensors file with nothing but the format's definition."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    assert (8 + n) % 8 == 0, "header not padded to 8"
    text = data[8:8 + n].decode("utf-8")
    header = json.loads(text, object_pairs_hook=collections.OrderedDict)
    keys = [k for k in header if k != "__metadata__"]
    assert keys == sorted(keys, key=lambda k: k.encode()), "keys not sorted"
    assert header.get("__metadata__") == {"format": "pt"}, "metadata"
    body = data[8 + n:]
    out = {}
    for name in keys:
        entry = header[name]
        begin, end = entry["data_offsets"]
        dtype = {"F32": np.float32, "I32": np.int32}[entry["dtype"]]
        out[name] = np.frombuffer(body[begin:end], dtype=dtype).reshape(entry["shape"])
    return out


def same_bits(a, b):
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    return np.array_equal(a.view(np.uint32) if a.dtype == np.float32 else a,
                          b.view(np.uint32) if b.dtype == np.float32 else b)


def check_file(name, path, sd, tmp):
    out = os.path.join(tmp, os.path.basename(path) + ".out.safetensors")
    run = subprocess.run([CONVERT, path, out], capture_output=True, text=True)
    if run.returncode != 0:
        report(name, False, "weights-convert failed: " + run.stderr.strip())
        return
    got = read_safetensors(out)
    if set(got) != set(sd):
        report(name, False, "names differ: %s" % sorted(set(got) ^ set(sd)))
        return
    bad = [k for k in sd if not same_bits(got[k], expected(sd[k]))]
    report(name, not bad, "tensors differ: %s" % bad)


def write_safetensors(path, sd):
    """The safetensors format, by hand: contiguous copies, every dtype."""
    names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
             torch.int64: "I64", torch.int32: "I32", torch.bool: "BOOL", torch.uint8: "U8"}
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for key, tensor in sd.items():
        t = tensor.detach().contiguous()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[key] = {"dtype": names[t.dtype], "shape": list(t.shape),
                       "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-(8 + len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


class CallsSystem:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class CallsEval:
    def __reduce__(self):
        return (eval, ("__import__('os').system('true')",))


def expect_refused(name, path, text):
    run = subprocess.run([CONVERT, "--expect-error", text, path], capture_output=True, text=True)
    report(name, run.returncode == 0, (run.stdout + run.stderr).strip())


# What tests/weights-testlib.c's reference checkpoint holds (see there).
C_CHECKPOINT = {
    "w": ([[1.5, -2.25, 3.0], [0.125, -0.5, 1e-3]], torch.float32),
    "t": ([[1.5, 0.125], [-2.25, -0.5], [3.0, 1e-3]], torch.float32),
    "s": ([-0.5, 1e-3], torch.float32),
    "h": ([1.0, -2.0, 0.333251953125], torch.float16),
    "bf": ([1.0, -5.0], torch.bfloat16),
    "i": ([-7, 2**31 - 1], torch.int64),
    "scalar": (42.0, torch.float32),
}


def check_c_checkpoints(tmp):
    run = subprocess.run([CONVERT, "--write-test-checkpoints", tmp], capture_output=True, text=True)
    if run.returncode != 0:
        report("checkpoints written by the C tests", False, run.stderr.strip())
        return
    for name in ["c-zip.pt", "c-zip64.pt", "c-legacy.pt"]:
        ckpt = torch.load(os.path.join(tmp, name))
        model = ckpt["model"]
        bad = [k for k, (values, dtype) in C_CHECKPOINT.items()
               if model[k].dtype != dtype or not torch.equal(model[k], torch.tensor(values, dtype=dtype))]
        ok = not bad and set(model) == set(C_CHECKPOINT) and ckpt["epoch"] == 3 and ckpt["lr"] == 0.5
        report("torch.load reads the C tests' %s as they expect" % name, ok, "differ: %s" % bad)


def main():
    sd = state_dict()
    with tempfile.TemporaryDirectory(prefix="eigml-weights-ref-") as tmp:
        p = lambda name: os.path.join(tmp, name)

        torch.save(sd, p("plain.bin"))
        check_file("torch.save zip, pickle protocol 2", p("plain.bin"), sd, tmp)

        torch.save(sd, p("proto4.pt"), pickle_protocol=4)
        check_file("torch.save zip, pickle protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL)",
                   p("proto4.pt"), sd, tmp)

        opt = torch.optim.AdamW([torch.nn.Parameter(torch.randn(3))], lr=0.1)
        opt.zero_grad()
        opt.param_groups[0]["params"][0].sum().backward()
        opt.step()
        torch.save({"model": sd, "optimizer": opt.state_dict(), "epoch": 3,
                    "config": {"lr": 1e-4, "layers": [1, 2], "name": "x", "none": None}},
                   p("nested.pth"))
        check_file("{'model': state dict, 'optimizer': ...}: the model's tensors only",
                   p("nested.pth"), sd, tmp)

        torch.save(sd, p("legacy.pt"), _use_new_zipfile_serialization=False)
        check_file("legacy (non-zip) torch.save", p("legacy.pt"), sd, tmp)

        write_safetensors(p("hand.safetensors"), sd)
        check_file("safetensors written by hand (F32 F16 BF16 I64 I32 BOOL U8)",
                   p("hand.safetensors"), sd, tmp)

        os.mkdir(p("hf"))
        torch.save(sd, p("hf/pytorch_model.bin"))
        check_file("model folder with pytorch_model.bin", p("hf"), sd, tmp)
        small = collections.OrderedDict(only=torch.ones(2))
        write_safetensors(p("hf/model.safetensors"), small)
        check_file("model folder: model.safetensors preferred", p("hf"), small, tmp)

        marker = p("pwned")
        torch.save({"model": {"w": CallsSystem("touch " + marker)}}, p("system.pth"))
        expect_refused("torch.save of an object calling os.system is refused", p("system.pth"),
                       "global 'posix.system' is not allowed")
        torch.save({"w": CallsEval()}, p("eval.pth"))
        expect_refused("torch.save of an object calling eval is refused", p("eval.pth"),
                       "global '__builtin__.eval' is not allowed")  # protocol 2 spells builtins so
        torch.save(torch.nn.Linear(2, 2), p("module.pth"))
        expect_refused("torch.save of a whole nn.Module is refused", p("module.pth"),
                       "global 'torch.nn.modules.linear.Linear' is not allowed")
        report("nothing the refused pickles named was run", not os.path.exists(marker))

        check_c_checkpoints(tmp)

    print("1..%d" % len(RESULTS))
    return 0 if all(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
