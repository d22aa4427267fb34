#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Eigml's image pipeline against PIL + torchvision (Debian python3-pil,
python3-torchvision), the pipeline PBR trains with.

Eigml is driven through GObject Introspection (PyGObject): run with
GI_TYPELIB_PATH=build/gir and LD_LIBRARY_PATH=build/eigml, as meson's
'reference' suite does. The reference side is

    img = Image.open(path); img.seek(0)                  # first frame
    img = alpha_composite(white, img.convert('RGBA')).convert('RGB')
    Resize((S, S), BICUBIC) | RandomResizedCrop -> ToTensor -> Normalize

Every image is made here by PIL/numpy, in PNG (RGB, RGBA, palette with
transparency, greyscale), JPEG (4:2:0, 4:4:4, progressive, greyscale), GIF
(still with transparency, animated), WebP (lossy, lossless with alpha,
animated) and .npy, at sizes that shrink and enlarge. Prints TAP; the
measured maxima go to docs/images.md.
"""

import math
import os
import sys
import tempfile
import traceback

import gi
import numpy as np
import torch
from PIL import Image
from torchvision import transforms
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as TF

gi.require_version("Eigml", "1.0")
from gi.repository import Eigml, GLib  # noqa: E402

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
TOL = 1.0 / 255.0 + 1e-6          # the bound, before normalisation
SIZES = [(37, 53), (300, 200), (128, 128), (11, 20), (1000, 700), (3, 250)]

results = []
measured = {}


def check(name, fn):
    try:
        note = fn()
        results.append((True, name, note or ""))
    except Exception:  # noqa: BLE001 - every failure becomes a TAP line
        results.append((False, name, traceback.format_exc()))


def reference_rgb(path):
    img = Image.open(path)
    img.seek(0)
    rgba = img.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def reference_eval(path, size, normalize):
    steps = [transforms.Resize((size, size), interpolation=InterpolationMode.BICUBIC),
             transforms.ToTensor()]
    if normalize:
        steps.append(transforms.Normalize(MEAN, STD))
    img = Image.fromarray(np.load(path)) if path.endswith(".npy") else reference_rgb(path)
    return transforms.Compose(steps)(img).numpy()


def tensor_array(tensor):
    shape = [tensor.get_dim(i) for i in range(tensor.get_n_dims())]
    return np.array(tensor.dup_floats(), dtype=np.float32).reshape(shape)


def processor(size, normalize=True, train=False):
    proc = Eigml.ImageProcessor.new(size)
    if not normalize:
        proc.set_normalization([0.0, 0.0, 0.0], [1.0, 1.0, 1.0])
    proc.props.train = train
    return proc


def pattern(h, w, channels, seed):
    """Smooth shapes plus noise: neither flat nor pure noise, so resizing
    kernels that differ show it."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([127 + 120 * np.sin(x / (3 + c) + y / (5 + 2 * c) + c) for c in range(3)], -1)
    img = np.clip(base + rng.normal(0, 25, (h, w, 3)), 0, 255).astype(np.uint8)
    if channels == 4:
        alpha = np.where(rng.random((h, w)) < 0.4, 255, rng.integers(0, 256, (h, w)))
        alpha[:, : max(1, w // 6)] = 0
        img = np.concatenate([img, alpha[..., None].astype(np.uint8)], -1)
    return img


def make_files(root):
    files = []
    for n, (w, h) in enumerate(SIZES):
        rgb = pattern(h, w, 3, n)
        rgba = pattern(h, w, 4, 100 + n)
        other = pattern(h, w, 3, 200 + n)

        def save(name, img, **kw):
            path = os.path.join(root, "%dx%d-%s" % (w, h, name))
            img.save(path, **kw)
            files.append(path)

        save("rgb.png", Image.fromarray(rgb))
        save("rgba.png", Image.fromarray(rgba, "RGBA"))
        save("palette.png", Image.fromarray(rgba, "RGBA").quantize(64), transparency=0)
        save("grey.png", Image.fromarray(rgb).convert("L"))
        save("420.jpg", Image.fromarray(rgb), quality=90)
        save("444.jpg", Image.fromarray(rgb), quality=90, subsampling=0)
        save("progressive.jpg", Image.fromarray(rgb), quality=85, progressive=True)
        save("grey.jpg", Image.fromarray(rgb).convert("L"), quality=90)
        save("still.gif", Image.fromarray(rgba, "RGBA").quantize(100), transparency=0)
        save("anim.gif", Image.fromarray(rgb).quantize(64), save_all=True,
             append_images=[Image.fromarray(other).quantize(64)], duration=100, loop=0)
        save("lossy.webp", Image.fromarray(rgb), quality=80)
        save("lossless.webp", Image.fromarray(rgba, "RGBA"), lossless=True)
        save("anim.webp", Image.fromarray(rgb), save_all=True,
             append_images=[Image.fromarray(other)], duration=100, lossless=True)
        path = os.path.join(root, "%dx%d.npy" % (w, h))
        np.save(path, rgb)
        files.append(path)
    return files


def kind(path):
    name = os.path.basename(path)
    return name.split("-", 1)[1] if "-" in name else "npy"


def test_decode(files):
    worst = {}
    for path in files:
        data, width, height = Eigml.image_decode_file(path)
        got = np.frombuffer(data.get_data(), np.uint8).reshape(height, width, 3).astype(int)
        want = np.load(path) if path.endswith(".npy") else np.asarray(reference_rgb(path))
        assert got.shape == want.shape, (path, got.shape, want.shape)
        d = int(np.abs(got - want).max())
        worst[kind(path)] = max(worst.get(kind(path), 0), d)
        assert d <= 1, "%s: decoded pixels differ from PIL's by %d" % (path, d)
    measured["decode"] = worst
    return "max |Eigml - PIL| per kind (8-bit units): %s" % worst


def test_eval(files, size, normalize):
    proc = processor(size, normalize)
    worst = 0.0
    for path in files:
        got = tensor_array(proc.load_file(path))
        want = reference_eval(path, size, normalize)
        d = float(np.abs(got - want).max())
        # after Normalize a 1/255 step becomes 1/255/std
        bound = TOL / min(STD) if normalize else TOL
        assert d <= bound, "%s at %d: max difference %.6f > %.6f" % (path, size, d, bound)
        worst = max(worst, d)
    measured["eval-%d-%s" % (size, "norm" if normalize else "01")] = worst
    return "max |Eigml - torchvision| = %.3g (%.3f/255)" % (worst, worst * 255)


def test_train(files, size):
    """Eigml's crop box, applied by torchvision, gives Eigml's pixels."""
    proc = processor(size, normalize=True, train=True)
    paths = files[::3]
    indices = [17 * i + 5 for i in range(len(paths))]
    epoch = 3
    batch = tensor_array(proc.load_batch(paths, indices, epoch))
    assert batch.shape == (len(paths), 3, size, size), batch.shape
    worst = 0.0
    to_tensor = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    for k, path in enumerate(paths):
        img = Image.fromarray(np.load(path)) if path.endswith(".npy") else reference_rgb(path)
        w, h = img.size
        ok, left, top, cw, ch = proc.get_crop(w, h, indices[k], epoch)
        crop = TF.resized_crop(img, top, left, ch, cw, [size, size], InterpolationMode.BICUBIC)
        want = to_tensor(crop).numpy()
        d = float(np.abs(batch[k] - want).max())
        assert d <= TOL / min(STD), "%s: %.6f" % (path, d)
        worst = max(worst, d)
    measured["train-%d" % size] = worst
    return "max |Eigml - torchvision resized_crop| = %.3g over %d images" % (worst, len(paths))


def test_crop_distribution():
    """Eigml's crops follow torchvision's RandomResizedCrop.get_params."""
    proc = processor(32)
    rrc = transforms.RandomResizedCrop(32, scale=(0.75, 1.0), interpolation=InterpolationMode.BICUBIC)
    torch.manual_seed(0)
    notes = []
    n = 6000
    for w, h in [(1000, 800), (90, 60), (128, 128), (40, 300)]:
        img = Image.new("RGB", (w, h))
        ours = np.array([proc.get_crop(w, h, i, 1)[1:] for i in range(n)], dtype=float)
        theirs = np.array([(j, i, cw, ch) for i, j, ch, cw in
                           (rrc.get_params(img, rrc.scale, rrc.ratio) for _ in range(n))], dtype=float)
        for name, f in [("area", lambda c: c[:, 2] * c[:, 3] / (w * h)),
                        ("log ratio", lambda c: np.log(c[:, 2] / c[:, 3])),
                        ("left", lambda c: c[:, 0] / w), ("top", lambda c: c[:, 1] / h)]:
            a, b = f(ours), f(theirs)
            se = math.sqrt(a.var() / n + b.var() / n) + 1e-12
            z = abs(a.mean() - b.mean()) / se
            assert z < 5, "%dx%d %s: Eigml mean %.4f, torchvision %.4f (z = %.1f)" % (
                w, h, name, a.mean(), b.mean(), z)
        notes.append("%dx%d area %.4f/%.4f" % (w, h, ours[:, 2].dot(ours[:, 3]) / n / (w * h),
                                               theirs[:, 2].dot(theirs[:, 3]) / n / (w * h)))
    return "; ".join(notes)


def test_negative_control(files):
    """The comparison can fail: PIL's bilinear is not Eigml's bicubic."""
    proc = processor(128, normalize=False)
    path = [f for f in files if f.endswith("300x200-rgb.png")][0]
    got = tensor_array(proc.load_file(path))
    bilinear = transforms.Compose([
        transforms.Resize((128, 128), interpolation=InterpolationMode.BILINEAR),
        transforms.ToTensor()])(reference_rgb(path)).numpy()
    d = float(np.abs(got - bilinear).max())
    assert d > 4 * TOL, "bilinear is within %.4f of Eigml: the comparison cannot tell kernels apart" % d
    return "bilinear differs by %.3f/255" % (d * 255)


def test_bytes(files):
    proc = processor(64)
    for path in files[:14]:
        with open(path, "rb") as f:
            from_bytes = tensor_array(proc.load_bytes(GLib.Bytes.new(f.read())))
        from_file = tensor_array(proc.load_file(path))
        assert np.array_equal(from_bytes, from_file), path


def test_hostile(root):
    """A lying .npy header and a cut PNG are GErrors through the bindings."""
    good = os.path.join(root, "37x53.npy")
    with open(good, "rb") as f:
        data = f.read()
    cases = [("lying.npy", data.replace(b"(53, 37, 3)", b"(53, 38, 3)"), "needs"),
             ("fortran.npy", data.replace(b"False", b"True "), "fortran_order"),
             ("cut.png", open(os.path.join(root, "37x53-rgb.png"), "rb").read()[:200], "truncated")]
    for name, blob, needle in cases:
        path = os.path.join(root, name)
        with open(path, "wb") as f:
            f.write(blob)
        try:
            Eigml.image_decode_file(path)
        except GLib.Error as e:
            assert e.domain == "eigml-error-quark", e.domain
            assert name in e.message and needle in e.message, e.message
        else:
            raise AssertionError("%s decoded" % name)


def main():
    with tempfile.TemporaryDirectory(prefix="eigml-images-ref-") as root:
        files = make_files(root)
        check("decode equals PIL (alpha over white, first frame)", lambda: test_decode(files))
        for size in (128, 64, 224):
            check("Resize(%d) + ToTensor equals torchvision" % size,
                  lambda size=size: test_eval(files, size, False))
        check("Resize(128) + ToTensor + Normalize equals torchvision",
              lambda: test_eval(files, 128, True))
        check("RandomResizedCrop(128) through Eigml's crop boxes equals torchvision",
              lambda: test_train(files, 128))
        check("crop parameters distributed as torchvision's", test_crop_distribution)
        check("negative control: bilinear is told apart", lambda: test_negative_control(files))
        check("load_bytes equals load_file", lambda: test_bytes(files))
        check("hostile files are GErrors through the bindings", lambda: test_hostile(root))

    print("1..%d" % len(results))
    failed = 0
    for i, (ok, name, note) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
        for line in note.rstrip().splitlines():
            print("# " + line)
        failed += not ok
    print("# measured: %s" % measured)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
