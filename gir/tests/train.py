#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Binding test of training and ranking through GObject Introspection from
Python (PyGObject), suite bindings: Eigml.Trainer from a config with
overrides, train_async in a GLib.MainLoop with ::progress and ::validated
in the main thread, cancelling, then Eigml.Model from the checkpoint,
Eigml.Ranker.score, Eigml.Dataset + Eigml.Metrics + Ranker.evaluate,
Eigml.StickerLibrary + Ranker.select / select_async + Eigml.Selection.
The fixture is tests/test-trainer.c's (a tiny model, 12 flat-colour
stickers). Prints TAP."""

import json
import math
import os
import shutil
import sys
import tempfile
import threading

import gi

gi.require_version("Eigml", "1.0")
from gi.repository import Eigml, Gio, GLib  # noqa: E402
from PIL import Image  # noqa: E402

WORDS = ["red", "green", "blue", "cat", "dog", "sun", "rain", "happy", "sad", "tea", "owl",
         "fish"]
CONFIG = {
    "model": {
        "text_encoder": {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                         "intermediate_size": 64, "vocab_size": 40,
                         "max_position_embeddings": 24},
        "vision_encoder": {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                           "intermediate_size": 64, "image_size": 16, "patch_size": 8},
        "max_len": 12, "knowledge_len": 6, "n_candidates": 4, "proj_dim": 16,
        "fusion_heads": 2, "fusion_ffn": 48},
    "vocab": "vocab.txt",
    "data": {"path": ".", "format": "jsonl", "train": "train", "validation": "val"},
    "train": {"lr": 0.002, "epochs": 2, "batch_size": 4, "warmup_steps": 2, "log_every": 1},
    "output": "run",
}
STEPS_PER_EPOCH = 32 // 4

results = []
state = {}


def check(name, fn):
    try:
        fn()
        results.append((True, name, ""))
    except Exception as e:  # noqa: BLE001 - report every failure as TAP
        results.append((False, name, " ".join(repr(e).split())[:500]))


def make_fixture(d):
    os.makedirs(os.path.join(d, "stickers"))
    for s in range(12):
        rgb = ((230 if s & 1 else 20) + s * 3, (230 if s & 2 else 20) + s * 5,
               (230 if s & 4 else 20) + (90 if s & 8 else 0))
        Image.new("RGB", (16, 16), rgb).save(os.path.join(d, "stickers", "s%02d.png" % s))
    lines = []
    for i in range(48):
        s = i % 12
        lines.append(json.dumps({
            "id": "e%d" % i,
            "dialogue": [{"speaker": "A", "text": "%s %s" % (WORDS[i * 7 % 12],
                                                            WORDS[(i * 5 + 1) % 12])},
                         {"speaker": "B", "text": WORDS[s]}],
            "sticker": "stickers/s%02d.png" % s,
            "emotion": "乐" if i % 3 == 0 else "哀",
            "intent": {"xIntent": ["to " + WORDS[s]]}}, ensure_ascii=False))
    for name, part in (("train", lines[:32]), ("val", lines[32:40]), ("test", lines[40:])):
        with open(os.path.join(d, name + ".jsonl"), "w", encoding="utf-8") as f:
            f.write("\n".join(part) + "\n")
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        f.write("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ";", "to"] + WORDS) + "\n")
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(CONFIG, f)


def run_async(trainer, cancellable=None, on_progress=None):
    """train_async in a main loop; returns (finish's value or the GLib.Error,
    progress emissions, validated emissions)"""
    loop = GLib.MainLoop()
    progress, validated, outcome = [], [], {}
    main = threading.main_thread()

    def progress_cb(t, epoch, step, total, loss):
        progress.append((epoch, step, total, loss, threading.current_thread() is main))
        if on_progress:
            on_progress(step)

    def validated_cb(t, step, metrics):
        validated.append((step, metrics.get_map(), metrics.get_n_examples(),
                          threading.current_thread() is main))

    def done(t, result):
        try:
            outcome["value"] = t.train_finish(result)
        except GLib.Error as e:
            outcome["value"] = e
        loop.quit()

    ids = [trainer.connect("progress", progress_cb), trainer.connect("validated", validated_cb)]
    timeout = GLib.timeout_add_seconds(300, loop.quit)    # a hang fails, not blocks
    trainer.train_async(cancellable, done)
    loop.run()
    if "value" in outcome:
        GLib.source_remove(timeout)
    for i in ids:
        trainer.disconnect(i)
    return outcome.get("value", "no result: timed out"), progress, validated


def train():
    d = state["dir"]
    out = os.path.join(d, "out")
    ctx = Eigml.Context.new(Eigml.BackendKind.CPU, None)
    state["ctx"] = ctx
    trainer = Eigml.Trainer.new_from_config(ctx, os.path.join(d, "config.json"),
                                            ["train.epochs=1", "output=" + out])
    assert trainer.props.epochs == 1 and trainer.props.output_dir == out, \
        (trainer.props.epochs, trainer.props.output_dir)
    assert trainer.props.lr == 0.002 and trainer.props.batch_size == 4
    value, progress, validated = run_async(trainer)
    assert value is True, value
    total = STEPS_PER_EPOCH
    assert [p[1] for p in progress] == list(range(1, total + 1)), [p[1] for p in progress]
    assert all(p[0] == 0 and p[2] == total for p in progress), progress[:2]
    assert all(math.isfinite(p[3]) and p[3] > 0 for p in progress), [p[3] for p in progress]
    assert all(p[4] for p in progress), "a ::progress emission outside the main thread"
    assert len(validated) == 1 and validated[0][0] == total and validated[0][2] == 8, validated
    assert 0.0 <= validated[0][1] <= 1.0 and validated[0][3], validated
    assert trainer.get_step() == total and trainer.get_total_steps() == total
    assert trainer.get_best_map() == validated[0][1], (trainer.get_best_map(), validated)
    assert isinstance(trainer.get_model(), Eigml.Model)
    assert trainer.get_tokenizer().get_vocab_size() == 19
    for f in ("config.json", "model.safetensors", "vocab.txt"):
        assert os.path.isfile(os.path.join(out, "best", f)), f
    state["best"] = os.path.join(out, "best")


def cancel():
    d = state["dir"]
    out = os.path.join(d, "cancelled")
    trainer = Eigml.Trainer.new_from_config(state["ctx"], os.path.join(d, "config.json"),
                                            ["output=" + out])
    c = Gio.Cancellable()
    value, progress, _ = run_async(trainer, c, lambda step: step >= 3 and c.cancel())
    assert isinstance(value, GLib.Error), value
    assert value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED), value
    step = trainer.get_step()
    assert 3 <= step < trainer.get_total_steps(), step
    with open(os.path.join(out, "latest")) as f:
        assert f.read().strip() == "checkpoint-%08d" % step
    # and the synchronous API resumes it
    trainer.props.resume = True
    assert trainer.train(None) is True
    assert trainer.get_step() == trainer.get_total_steps() == 2 * STEPS_PER_EPOCH


def bad_config():
    d = state["dir"]
    for overrides, needle in ((["train.lr=fast"], "train.lr"),
                              (["train.nonsense=1"], "train.nonsense"),
                              (["no-equals-sign"], "no-equals-sign")):
        try:
            Eigml.Trainer.new_from_config(state["ctx"], os.path.join(d, "config.json"), overrides)
        except GLib.Error as e:
            assert needle in e.message, e.message
        else:
            raise AssertionError("%s was accepted" % overrides)
    # overrides may be None
    t = Eigml.Trainer.new_from_config(state["ctx"], os.path.join(d, "config.json"), None)
    assert t.props.epochs == 2


def score():
    best = state["best"]
    model = Eigml.Model.new_from_checkpoint(state["ctx"], best)
    tok = Eigml.Tokenizer.new_from_file(os.path.join(best, "vocab.txt"))
    ranker = Eigml.Ranker.new(model, tok)
    assert ranker.get_model() == model
    stickers = os.path.join(state["dir"], "stickers")
    paths = [os.path.join(stickers, "s%02d.png" % s) for s in range(12)]
    scores = ranker.score(["red green"], None, paths)
    assert isinstance(scores, list) and len(scores) == 12, scores
    assert all(isinstance(s, float) and 0.0 <= s <= 1.0 for s in scores), scores
    assert len(set(scores)) > 1, "every sticker got the same score"
    # the order of the stickers does not change a sticker's score
    again = ranker.score(["red green"], None, paths[::-1])
    assert all(abs(a - b) < 1e-5 for a, b in zip(scores, again[::-1])), (scores, again)
    emo = [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    with_emotion = ranker.score(["red green", "owl"], emo, paths[:3])
    assert len(with_emotion) == 3 and all(0.0 <= s <= 1.0 for s in with_emotion), with_emotion
    try:
        ranker.score(["hi"], [0.5, 0.5], paths[:2])
    except GLib.Error as e:
        assert "7" in e.message, e.message
    else:
        raise AssertionError("2 emotion values for a 7-category model were accepted")
    try:
        ranker.score(["hi"], None, [os.path.join(stickers, "missing.png")])
    except GLib.Error as e:
        assert "missing.png" in e.message, e.message
    else:
        raise AssertionError("a missing sticker was scored")
    state["ranker"] = ranker


def select():
    """Ranker.select on a library built through the API (StickerLibrary.add,
    save, new_from_file) and every Selection accessor; select_async in a
    GLib.MainLoop equals select"""
    ranker = state["ranker"]
    stickers = os.path.join(state["dir"], "stickers")
    library = Eigml.StickerLibrary.new()
    for s in range(12):
        assert library.add("s%02d" % s, os.path.join(stickers, "s%02d.png" % s),
                           "sticker %d" % s, "贴纸%d" % s, "乐" if s % 3 == 0 else None)
    saved = os.path.join(state["dir"], "library.jsonl")
    assert library.save(saved)
    library = Eigml.StickerLibrary.new_from_file(saved)
    assert library.get_n_stickers() == 12 and library.get_label(4, "zh") == "贴纸4"
    try:
        ranker.select(["red"], None, 3)
    except GLib.Error as e:
        assert "no library" in e.message, e.message
    else:
        raise AssertionError("select without a library was accepted")
    annotator = Eigml.EmotionAnnotator.new_empty()
    annotator.add_word("sad", Eigml.Emotion.SADNESS)
    ranker.set_emotion_annotator(annotator)
    ranker.set_intent_source(Eigml.IntentSource.new_fallback())
    assert ranker.set_library(library, os.path.join(state["dir"], "cache"), None)
    assert ranker.get_library() == library and not ranker.get_library_from_cache()

    sel = ranker.select(["red green", "sad owl"], None, 5)
    assert isinstance(sel, Eigml.Selection) and sel.get_n_results() == 5
    assert sel.get_emotion() == Eigml.Emotion.SADNESS, sel.get_emotion()
    dist = sel.get_emotion_distribution()
    assert list(dist) == [0, 0, 1, 0, 0, 0, 0], dist
    intents = sel.get_intents()
    assert isinstance(intents, Eigml.Intents) and not intents.is_empty()
    assert intents.get("xIntent"), intents.get("xIntent")
    scores = [sel.get_score(r) for r in range(5)]
    assert scores == sorted(scores, reverse=True), scores
    for r in range(5):
        index = sel.get_sticker_index(r)
        assert sel.get_sticker_id(r) == library.get_id(index)
        assert all(0.0 <= x <= 1.0 for x in (sel.get_score(r), sel.get_p_vl(r),
                                             sel.get_s_emo(r), sel.get_s_int(r))), r
    # candidates: the scores of Ranker.score on the same stickers
    ids = ["s03", "s07", "s01"]
    some = ranker.select(["red green", "sad owl"], ids, 3)
    direct = ranker.score(["red green", "sad owl"], list(dist),
                          [library.get_path(library.lookup(i)[1]) for i in ids])
    for r in range(3):
        k = ids.index(some.get_sticker_id(r))
        assert abs(some.get_score(r) - direct[k]) < 1e-5, (some.get_score(r), direct[k])
    # a dialogue without lexicon words: no emotion, an all-zero distribution
    plain = ranker.select(["red green"], None, 2)
    assert plain.get_emotion() == Eigml.Emotion.NONE
    assert list(plain.get_emotion_distribution()) == [0.0] * 7
    try:
        ranker.select(["red"], ["s01", "nope"], 3)
    except GLib.Error as e:
        assert "nope" in e.message, e.message
    else:
        raise AssertionError("an unknown candidate was accepted")

    loop, got = GLib.MainLoop(), {}

    def done(r, result):
        got["sel"] = r.select_finish(result)
        loop.quit()
    ranker.select_async(["red green", "sad owl"], None, 5, None, done)
    GLib.timeout_add_seconds(60, loop.quit)
    loop.run()
    again = got["sel"]
    assert [again.get_sticker_id(r) for r in range(5)] == \
        [sel.get_sticker_id(r) for r in range(5)]
    assert all(abs(again.get_score(r) - scores[r]) < 1e-6 for r in range(5))


def evaluate():
    ds = Eigml.Dataset(folder=state["dir"], format=Eigml.DatasetFormat.JSONL, split="test",
                       n_candidates=4)
    assert ds.init(None) is True
    assert ds.get_n_examples() == 8 and ds.get_n_candidates() == 4
    metrics = Eigml.Metrics.new(Eigml.MetricsKind.STANDARD)
    assert state["ranker"].evaluate(ds, metrics, 0, None) is True
    assert metrics.get_n_examples() == 8
    m = metrics.get_map()
    assert 0.0 <= m <= 1.0, m
    doc = json.loads(metrics.to_json())
    assert doc["examples"] == 8 and abs(doc["MAP"] - m) < 1e-12, doc
    assert 0.0 <= metrics.get_mrr() <= 1.0
    # Eigml.Dataset.new: the default 10 candidates (12 stickers here)
    ds10 = Eigml.Dataset.new(state["dir"], Eigml.DatasetFormat.JSONL, "test")
    assert ds10.get_n_examples() == 8 and ds10.get_n_candidates() == 10
    try:
        Eigml.Dataset.new(os.path.join(state["dir"], "nothing"), Eigml.DatasetFormat.JSONL,
                          "test")
    except GLib.Error as e:
        assert "nothing" in e.message, e.message
    else:
        raise AssertionError("a missing dataset folder loaded")


def main():
    state["dir"] = tempfile.mkdtemp(prefix="eigml-bindings-train-")
    try:
        make_fixture(state["dir"])
        for name, fn in [
            ("Trainer.new_from_config + train_async: signals in the main thread", train),
            ("a Gio.Cancellable stops training with a checkpoint; train() resumes", cancel),
            ("bad overrides are GLib.Errors naming the option", bad_config),
            ("Model.new_from_checkpoint, Tokenizer, Ranker.score", score),
            ("Dataset (GInitable), Metrics, Ranker.evaluate", evaluate),
            ("StickerLibrary, Ranker.select / select_async and Selection", select),
        ]:
            if fn in (score, evaluate) and "best" not in state:
                results.append((False, name, "no trained checkpoint"))
                continue
            if fn in (evaluate, select) and "ranker" not in state:
                results.append((False, name, "no ranker"))
                continue
            check(name, fn)
    finally:
        if not os.environ.get("EIGML_TEST_KEEP"):
            shutil.rmtree(state["dir"], ignore_errors=True)
    print("1..%d" % len(results))
    for i, (ok, name, why) in enumerate(results, 1):
        print("%s %d - %s%s" % ("ok" if ok else "not ok", i, name, "" if ok else " # " + why))
    sys.exit(0 if all(r[0] for r in results) else 1)


main()
