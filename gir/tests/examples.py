#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Suite bindings: the README's examples, examples/select.py (PyGObject)
and examples/select.js (gjs), run as a user runs them, against the
committed default model (data/default-model) and a small library written
here (fixture.py). Checks what they print: the dialogue's emotion, the
intention, and the best stickers in the ranker's order (the stickers whose
words match the dialogue's first, by their lexical rank, then the others by
score), with scores in [0, 1] and labels in the dialogue's language. Prints
TAP."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture  # noqa: E402

SOURCE = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MODEL = os.path.join(SOURCE, "data", "default-model")
ROW = re.compile(r"^\s*(\d+)\s+([0-9.]+)\s+(\S+)\s+(.*?)\s+\(([-0-9.na]+), ([-0-9.na]+), "
                 r"([-0-9.na]+)\)\s+(\d+|-)$")
LABELS = {sid: (en, zh) for sid, en, zh, _, _ in fixture.STICKERS}

results = []


def check(name, fn):
    try:
        fn()
        results.append((True, name, ""))
    except Exception as e:  # noqa: BLE001 - report every failure as TAP
        results.append((False, name, " ".join(str(e).split())[:600]))


def run(command, *args):
    p = subprocess.run(command + list(args), capture_output=True, text=True, timeout=120)
    for line in p.stderr.splitlines():
        print("# " + line)
    return p


def check_output(p, turns, chinese, emotion):
    assert p.returncode == 0, "exit %d: %s" % (p.returncode, p.stderr[-400:])
    lines = p.stdout.splitlines()
    assert lines[0] == emotion, (lines[0], emotion)
    assert any(line.startswith("xIntent: ") for line in lines), p.stdout
    rows = [ROW.match(line) for line in lines if ROW.match(line)]
    assert len(rows) == 4, "%d rows in %r" % (len(rows), p.stdout)
    scores = [float(r.group(2)) for r in rows]
    assert [int(r.group(1)) for r in rows] == [1, 2, 3, 4], p.stdout
    assert all(0.0 <= s <= 1.0 for s in scores), scores
    # the default order: the matches first, by lexical rank; then the
    # stickers whose words do not match, by score
    words = [r.group(8) for r in rows]
    matched = [int(w) for w in words if w != "-"]
    plain = [s for s, w in zip(scores, words) if w == "-"]
    assert words == [str(m) for m in matched] + ["-"] * len(plain), words
    assert matched == sorted(matched), words
    assert plain == sorted(plain, reverse=True), (scores, words)
    want = api_order(turns)
    assert [(r.group(3), r.group(8)) for r in rows] == want, (p.stdout, want)
    for r in rows:
        sid = r.group(3)
        assert sid in LABELS, sid
        assert r.group(4) == LABELS[sid][1 if chinese else 0], (sid, r.group(4))
        p_vl, s_emo, s_int = (float(r.group(k)) for k in (5, 6, 7))
        assert 0.0 <= p_vl <= 1.0 and 0.0 <= s_emo <= 1.0 and 0.0 <= s_int <= 1.0, r.group(0)
    print("# " + " | ".join(lines[:2] + [r.group(0).strip() for r in rows[:2]]))


API = {}


def api_order(turns):
    """the (sticker id, lexical rank) rows the ranker itself selects, for
    the library the examples were given"""
    r = API["ranker"]
    sel = r.select(turns, None, 4)
    return [(sel.get_sticker_id(k), str(sel.get_lexical_rank(k) or "-"))
            for k in range(sel.get_n_results())]


def main():
    folder = tempfile.mkdtemp(prefix="eigml-examples-")
    os.environ["XDG_CACHE_HOME"] = os.path.join(folder, "cache")
    try:
        library = fixture.make_library(folder)
        import gi
        gi.require_version("Eigml", "1.0")
        from gi.repository import Eigml
        model = Eigml.Model.new_from_checkpoint(Eigml.Context.new(Eigml.BackendKind.CPU, None),
                                                MODEL)
        API["ranker"] = Eigml.Ranker.new(
            model, Eigml.Tokenizer.new_from_file(os.path.join(MODEL, "vocab.txt")))
        API["ranker"].set_emotion_annotator(Eigml.EmotionAnnotator.new())
        API["ranker"].set_intent_source(Eigml.IntentSource.new_fallback())
        API["ranker"].set_library(Eigml.StickerLibrary.new_from_file(library), None, None)
        common = ["--model", MODEL, "--library", library, "--top", "4"]
        python = ["/usr/bin/python3", os.path.join(SOURCE, "examples", "select.py")] + common
        gjs = ["gjs", "-m", os.path.join(SOURCE, "examples", "select.js")] + common
        zh = ["今天加班好累", "辛苦了，真开心见到你"]
        en = ["I am so happy today, thank you!"]
        check("examples/select.py, a Chinese dialogue",
              lambda: check_output(run(python, *zh), zh, True, "emotion: 乐 (joy)"))
        check("examples/select.py, an English dialogue",
              lambda: check_output(run(python, *en), en, False, "emotion: 乐 (joy)"))
        check("examples/select.js, a Chinese dialogue",
              lambda: check_output(run(gjs, *zh), zh, True, "emotion: 乐 (joy)"))
        check("examples/select.js, an English dialogue",
              lambda: check_output(run(gjs, *en), en, False, "emotion: 乐 (joy)"))

        def same():
            a, b = run(python, *zh), run(gjs, *zh)
            assert a.returncode == 0 and a.stdout == b.stdout, (a.stdout, b.stdout)
        check("select.py and select.js print the same", same)

        def missing():
            for command in (python, gjs):
                bad = [a if a != library else os.path.join(folder, "nothing.jsonl")
                       for a in command]
                p = run(bad, "hi")
                assert p.returncode != 0 and "nothing.jsonl" in p.stderr, \
                    (command[0], p.returncode, p.stderr[-300:])
        check("a missing library is an error naming it", missing)
    finally:
        if not os.environ.get("EIGML_TEST_KEEP"):
            shutil.rmtree(folder, ignore_errors=True)
    print("1..%d" % len(results))
    for i, (ok, name, why) in enumerate(results, 1):
        print("%s %d - %s%s" % ("ok" if ok else "not ok", i, name, "" if ok else " # " + why))
    sys.exit(0 if all(r[0] for r in results) else 1)


main()
