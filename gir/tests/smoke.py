#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Binding smoke test: libeigml through GObject Introspection from Python
(PyGObject). Prints TAP."""

import math
import os
import sys

import gi

gi.require_version("Eigml", "1.0")
from gi.repository import Eigml, GLib  # noqa: E402

results = []


def check(name, fn):
    try:
        fn()
        results.append((True, name, ""))
    except Exception as e:  # noqa: BLE001 - report every failure as TAP
        results.append((False, name, repr(e)))


def cpu_context():
    ctx = Eigml.Context.new(Eigml.BackendKind.CPU, None)
    assert ctx.get_backend() == Eigml.BackendKind.CPU
    assert ctx.props.backend == Eigml.BackendKind.CPU
    assert "CPU" in ctx.props.device_name, ctx.props.device_name
    assert ctx.props.is_software is False


def vulkan_context():
    try:
        ctx = Eigml.Context.new(Eigml.BackendKind.VULKAN, None)
    except GLib.Error as e:
        if os.environ.get("EIGML_TEST_ALLOW_NO_VULKAN"):
            return
        raise AssertionError("no Vulkan device: " + e.message)
    assert ctx.props.backend == Eigml.BackendKind.VULKAN
    assert ctx.props.device_name
    print("# vulkan device: %s (software: %s)" % (ctx.props.device_name, ctx.props.is_software))


def bad_backend():
    old = os.environ.get("EIGML_BACKEND")
    os.environ["EIGML_BACKEND"] = "tpu"
    try:
        Eigml.Context.new(Eigml.BackendKind.AUTO, None)
    except GLib.Error as e:
        assert e.domain == "eigml-error-quark", e.domain
        assert e.code == Eigml.Error.INVALID_ARGUMENT
        assert "tpu" in e.message
    else:
        raise AssertionError("EIGML_BACKEND=tpu was accepted")
    finally:
        if old is None:
            del os.environ["EIGML_BACKEND"]
        else:
            os.environ["EIGML_BACKEND"] = old


def tensor_round_trip():
    data = [0.5, -1.25, 3.0, 0.125, -7.5, 2.0]  # exact in binary32
    t = Eigml.Tensor.new_from_floats([2, 3], data)
    assert t.get_n_dims() == 2
    assert list(t.get_shape()) == [2, 3]
    assert t.get_n_elements() == 6
    assert t.props.dtype == Eigml.DType.F32
    back = t.dup_floats()
    assert list(back) == data, back
    raw = t.get_bytes().get_data()
    assert len(raw) == 24
    assert t.describe() == "f32[2, 3]"


def tensor_f16():
    t = Eigml.Tensor.new(Eigml.DType.F16, [3])
    t.set_floats([1.0, 0.1, 65504.0])
    back = t.dup_floats()
    assert back[0] == 1.0 and back[2] == 65504.0
    assert abs(back[1] - 0.1) < 1e-4


def tensor_errors():
    try:
        Eigml.Tensor.new_from_floats([2, 2], [1.0, 2.0, 3.0])
    except GLib.Error as e:
        assert e.code == Eigml.Error.SHAPE, e.code
        assert "3 values" in e.message
    else:
        raise AssertionError("a wrong element count was accepted")
    t = Eigml.Tensor.new_from_ints([2], [4, 5])
    try:
        t.dup_floats()
    except GLib.Error as e:
        assert e.code == Eigml.Error.DTYPE
    else:
        raise AssertionError("i32 data read as floats")
    assert list(t.dup_ints()) == [4, 5]


def encoders_tokenizer_weights():
    """the README's example: a model folder through the introspected API"""
    import json
    import tempfile
    folder = tempfile.mkdtemp(prefix="eigml-smoke-")
    with open(os.path.join(folder, "vocab.txt"), "w") as f:
        f.write("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n在\n吗\n的\n怎\n么\n了\n，\n")
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                   "intermediate_size": 64, "vocab_size": 12, "max_position_embeddings": 64}, f)
    ctx = Eigml.Context.new(Eigml.BackendKind.CPU, None)
    tok = Eigml.Tokenizer.new_from_folder(folder)
    packed = tok.encode_dialogue(["在吗", "在的，怎么了"], None, 16, Eigml.Truncation.KEEP_RECENT)
    assert packed.describe() == "i32[3, 16]", packed.describe()
    ids = list(packed.dup_ints())[:16]
    assert ids[:4] == [2, 5, 6, 3], ids   # [CLS] 在 吗 [SEP]
    config = Eigml.EncoderConfig.new_from_json(Eigml.EncoderKind.TEXT,
                                               os.path.join(folder, "config.json"))
    bert = Eigml.TextEncoder.new(ctx, config)
    bert.dup_weights().save_safetensors(os.path.join(folder, "model.safetensors"))
    ok, missing, unexpected = bert.load_weights(Eigml.Weights.load(folder), None)
    assert ok and missing == [] and unexpected == [], (missing, unexpected)
    hidden, pooled = bert.encode(Eigml.Tensor.new_from_ints([1, 4], ids[:4]), None, None)
    assert hidden.describe() == "f32[1, 4, 32]" and pooled.describe() == "f32[1, 32]"
    try:
        bert.encode(Eigml.Tensor.new_from_ints([1, 2], [2, 99]), None, None)
    except GLib.Error as e:
        assert e.code == Eigml.Error.OUT_OF_RANGE, e.message
    else:
        raise AssertionError("id 99 of a 12-token vocabulary was accepted")
    processor = Eigml.ImageProcessor.new(32)
    assert processor.props.size == 32


def dataset_jsonl():
    """a JSONL dataset through the introspected API: construct properties,
    Gio.Initable, boxed examples, nullable arrays"""
    import json
    import tempfile
    folder = tempfile.mkdtemp(prefix="eigml-smoke-")
    for name in ("cat.png", "dog.png", "owl.png"):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(b"x")
    with open(os.path.join(folder, "dev.jsonl"), "w") as f:
        f.write(json.dumps({"id": "a", "dialogue": [{"speaker": "A", "text": "在吗"}],
                            "sticker": "cat.png", "emotion": "乐",
                            "intent": {"xWant": ["to chat"]}}) + "\n")
        f.write(json.dumps({"dialogue": [], "sticker": "owl.png",
                            "candidates": ["dog.png", "owl.png"]}) + "\n")
    ds = Eigml.Dataset(folder=folder, format=Eigml.DatasetFormat.JSONL, split="dev",
                       n_candidates=3, seed=7)
    assert ds.init(None)
    assert ds.get_n_examples() == 2 and ds.get_n_stickers() == 3
    ex = ds.get_example(0)
    assert ex.get_id() == "a"
    assert ex.get_turn_texts() == ["在吗"] and ex.get_turn_speakers() == ["A"]
    assert ex.get_n_candidates() == 3
    assert ex.get_candidate_id(ex.get_positive()) == "cat.png"
    assert ex.get_candidate_path(ex.get_positive()) == os.path.join(folder, "cat.png")
    assert list(ex.get_emotion()) == [0, 1, 0, 0, 0, 0, 0], ex.get_emotion()
    assert ex.get_intents("xWant") == ["to chat"] and ex.get_intents("xNeed") == []
    second = Eigml.Dataset.new(folder, Eigml.DatasetFormat.JSONL, "dev").get_example(1)
    assert second.get_id() == "dev.jsonl:2" and second.get_turn_texts() == []
    assert not second.has_emotion() and not second.has_intents()
    assert ex.has_emotion() and ex.has_intents()
    try:
        ds.get_example(2)
    except GLib.Error as e:
        assert e.code == Eigml.Error.OUT_OF_RANGE, e.message
    else:
        raise AssertionError("example 2 of 2 was given")
    ok, fmt = Eigml.dataset_format_from_string("mod")
    assert ok and fmt == Eigml.DatasetFormat.MOD


def intent_source():
    """EigmlIntentSource and the boxed EigmlIntents through the introspected
    API: a sidecar, the fallback, nullable arguments, GError"""
    import json
    import tempfile
    folder = tempfile.mkdtemp(prefix="eigml-smoke-")
    path = os.path.join(folder, "comet.jsonl")
    with open(path, "w") as f:
        f.write(json.dumps({"id": "a", "xWant": ["to chat"]}, ensure_ascii=False) + "\n")
    sidecar = Eigml.IntentSource.new_from_sidecar(path)
    assert sidecar.props.kind == Eigml.IntentSourceKind.SIDECAR and sidecar.get_n_ids() == 1
    found = sidecar.lookup("a")
    assert found.get("xWant") == ["to chat"] and found.get("xIntent") == []
    assert sidecar.lookup("b") is None
    try:
        sidecar.infer(["在吗"], None, "b")
    except GLib.Error as e:
        assert e.code == Eigml.Error.INVALID_ARGUMENT, e.message
    else:
        raise AssertionError("an id the sidecar lacks was accepted")
    sidecar.props.fallback_on_missing = True
    fallback = Eigml.IntentSource.new_fallback()
    intents = fallback.infer(["谢谢你！"], "乐", None)
    assert intents.get("xIntent") == ["表达感谢"], intents.get("xIntent")
    assert intents.get("xEffect") == ["心怀感激", "感到开心"]
    assert intents.equal(sidecar.infer(["谢谢你！"], "乐", "b"))
    assert Eigml.Intents.get_relation_names() == ["xIntent", "xNeed", "xWant", "xEffect"]
    made = Eigml.Intents.new(["to joke"], None, None, ["smiles"])
    assert json.loads(made.to_json("x")) == {"id": "x", "xIntent": ["to joke"], "xNeed": [],
                                             "xWant": [], "xEffect": ["smiles"]}
    try:
        fallback.infer(["hi"], "happy", None)
    except GLib.Error as e:
        assert e.code == Eigml.Error.INVALID_ARGUMENT, e.message
    else:
        raise AssertionError("an emotion outside the DUTIR categories was accepted")


def version():
    assert Eigml.MAJOR_VERSION == 0
    assert isinstance(Eigml.VERSION_S, str)


for name, fn in [
    ("cpu context", cpu_context),
    ("vulkan context", vulkan_context),
    ("bad EIGML_BACKEND is an error", bad_backend),
    ("tensor round trip", tensor_round_trip),
    ("tensor f16 storage", tensor_f16),
    ("tensor errors", tensor_errors),
    ("tokenizer, text encoder and weights", encoders_tokenizer_weights),
    ("dataset (JSONL) and examples", dataset_jsonl),
    ("intent sources and intents", intent_source),
    ("version constants", version),
]:
    check(name, fn)

print("1..%d" % len(results))
for i, (ok, name, why) in enumerate(results, 1):
    print("%s %d - %s%s" % ("ok" if ok else "not ok", i, name, "" if ok else " # " + why))
sys.exit(0 if all(r[0] for r in results) else 1)
