#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The open demo data and the shipped lexicons (suite data).

Runs tools/demo-data as a user does: --fetch-only fills the tarball cache
(data/cache/, or $EIGML_DEMO_CACHE; the only step that may use the network,
and only for a tarball the cache lacks), then every build runs --offline
into a temporary folder. Checks the counts for the pinned package versions
exactly, that two builds under different hash seeds are byte-identical,
that every sticker exists and is a 256x256 WebP, that the splits share no
text source, filler, template or utterance, that no negative candidate
shares the positive's filler, that the committed lexicons equal a fresh
derivation, and (given the eigml tool) that `eigml eval --init random`
reads the validation split. Prints TAP. argv[1]: the eigml tool
(optional). EIGML_TEST_KEEP=1 keeps the folder."""

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOOL = os.path.join(ROOT, "tools", "demo-data")
EIGML = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else None
CATEGORIES = ("好", "乐", "哀", "怒", "惧", "恶", "惊")
results = []

# what the pinned versions of data/packages.json give; a change of the
# packages, data/emotion-map.tsv, data/demo-templates.tsv or the rules
# changes these on purpose
EXPECTED = {
    "images": {"files": 3391, "ids": 3375, "matched": 3375, "unmatched_files": 0,
               "twins_left_out": 16, "sizes": {"256x256": 3371, "256x264": 4}},
    "emojibase_entries": 3979,
    "library": {"stickers": 3375, "emotion": {"好": 59, "乐": 29, "哀": 30, "怒": 26, "惧": 7,
                                              "恶": 30, "惊": 9, "none": 3185}},
    "dataset_stickers": {"stickers": 1563, "emotion": {"好": 39, "乐": 24, "哀": 15, "怒": 11,
                                                       "惧": 7, "恶": 10, "惊": 9,
                                                       "none": 1448}},
    "pairs_before_cap": {"train": 11801, "val": 2579, "test": 4700},
    "examples": {"train": 11801, "val": 2000, "test": 2000},
    "examples_by_family": {
        "train": {"cldr-keyword-en": 5841, "cldr-keyword-zh": 5960},
        "val": {"cldr-name-en": 1041, "cldr-name-zh": 959},
        "test": {"cldr-keyword-zh-hant": 1150, "cldr-name-zh-hant": 482, "shortcode-en": 368}},
    "dialogues": {"train": 3929, "val": 660, "test": 653},
    "with_emotion": {"train": 1144, "val": 158, "test": 196},
    "lexicon_words": {"zh": 91, "en": 120},
}


def tap(ok, name, why=""):
    results.append(bool(ok))
    why = " ".join(str(why).split())[:600]
    print("%s %d - %s%s" % ("ok" if ok else "not ok", len(results), name,
                            "" if ok else " # " + why), flush=True)
    return ok


def run(*args, env=None):
    return subprocess.run([TOOL] + list(args), capture_output=True, text=True, timeout=900,
                          env=env)


def show(r):
    return "rc %s; stdout %r; stderr %r" % (r.returncode, r.stdout[-300:], r.stderr[-500:])


def webp_size(path):
    """(width, height) of a still WebP file from its RIFF header, or None
    (not WebP, or animated)."""
    with open(path, "rb") as f:
        head = f.read(30)
    if len(head) < 30 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return None
    chunk = head[12:16]
    if chunk == b"VP8X":
        if head[20] & 0x02:     # the animation flag
            return None
        w = int.from_bytes(head[24:27], "little") + 1
        h = int.from_bytes(head[27:30], "little") + 1
        return w, h
    if chunk == b"VP8 ":
        w, h = struct.unpack("<HH", head[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L":
        b = int.from_bytes(head[21:25], "little")
        return (b & 0x3FFF) + 1, ((b >> 14) & 0x3FFF) + 1
    return None


def norm(s):
    return " ".join(s.replace("_", " ").casefold().split())


def tree(folder):
    """{relative path: bytes} of every file under FOLDER."""
    out = {}
    for d, _, files in os.walk(folder):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, folder)] = fh.read()
    return out


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def check_counts(counts, printed):
    for key, want in EXPECTED.items():
        tap(counts.get(key) == want, "counts.json %s" % key,
            "got %r, expected %r" % (counts.get(key), want))
    tap("3375 matched to emojibase" in printed and "train: 11801 examples" in printed,
        "the build prints its counts", printed[:400])


def check_library(out, library):
    ids = [r["id"] for r in library]
    tap(len(ids) == len(set(ids)) == EXPECTED["library"]["stickers"], "library ids unique",
        len(ids))
    # four images of the package are 256x264; the rest 256x256
    sizes = [webp_size(os.path.join(out, r["file"])) for r in library]
    tap(sizes.count((256, 256)) == 3371 and sizes.count((256, 264)) == 4,
        "every library sticker is a still WebP, 256x256 (4 are 256x264)",
        sorted(set(map(str, sizes))))
    on_disk = sorted(os.listdir(os.path.join(out, "stickers")))
    tap(on_disk == sorted(os.path.basename(r["file"]) for r in library),
        "stickers/ holds the library's files and nothing else", len(on_disk))
    tap(all(r["file"] == "stickers/%s.webp" % r["id"] and
            all(c in "0123456789abcdef-" for c in r["id"]) for r in library),
        "sticker files are named by lowercase hex ids")
    tap(all(r["emotion"] in CATEGORIES + (None,) for r in library), "library emotion classes")
    tap(all(r["label"].get("en") and r["label"].get("zh") for r in library),
        "every library sticker has an English and a Chinese label")
    tap(sorted(os.listdir(os.path.join(out, "LICENSES"))) ==
        sorted(os.listdir(os.path.join(ROOT, "data", "licences"))),
        "the licences travel with the build")


def check_splits(out, library, splits):
    by_id = {r["id"]: r for r in library}
    texts_of = {}
    for r in library:
        words = set()
        for d in (r["label"], r["keywords"]):
            for v in d.values():
                words.update([norm(v)] if isinstance(v, str) else (norm(w) for w in v))
        words.update(norm(s) for s in r["shortcodes"])
        texts_of["stickers/%s.webp" % r["id"]] = words

    problems = []
    for split, xs in splits.items():
        ids = [x["id"] for x in xs]
        if len(ids) != len(set(ids)):
            problems.append("%s: ids repeat" % split)
        for x in xs:
            paths = [x["sticker"]] + x["candidates"]
            if not all(os.path.isfile(os.path.join(out, p)) for p in paths):
                problems.append("%s: a missing image" % x["id"])
            if len(x["candidates"]) != 10 or len(set(x["candidates"])) != 10 or \
               x["sticker"] not in x["candidates"]:
                problems.append("%s: candidates" % x["id"])
            if not x["dialogue"] or not all(t["text"] for t in x["dialogue"]):
                problems.append("%s: empty dialogue" % x["id"])
            want = by_id[x["source"]["sticker_id"]]["emotion"]
            if x.get("emotion") != want:
                problems.append("%s: emotion %r, the sticker's class is %r"
                                % (x["id"], x.get("emotion"), want))
            k = norm(x["source"]["filler"])
            if k not in texts_of[x["sticker"]]:
                problems.append("%s: the filler is not the sticker's label" % x["id"])
            if any(k in texts_of[c] for c in x["candidates"] if c != x["sticker"]):
                problems.append("%s: a negative shares the filler %r" % (x["id"], k))
    tap(not problems, "every example: images exist, 10 distinct candidates with the "
        "positive, the sticker's emotion, negatives not named by the filler", problems[:5])

    def sets(key):
        return {s: {key(x) for x in xs} for s, xs in splits.items()}
    names = list(splits)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    for what, key in [("text source", lambda x: x["source"]["family"]),
                      ("filler", lambda x: norm(x["source"]["filler"])),
                      ("utterance", lambda x: x["dialogue"][-1]["text"])]:
        s = sets(key)
        shared = {"%s/%s" % ab: len(s[ab[0]] & s[ab[1]]) for ab in pairs}
        tap(all(v == 0 for v in shared.values()), "splits share no %s" % what, shared)

    # the templates themselves: no phrasing of val or test is one of train
    tpl = {}
    with open(os.path.join(ROOT, "data", "demo-templates.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                split, _, kind, t = line.rstrip("\n").split("\t")
                tpl.setdefault(split, set()).add(t)
    shared = {"%s/%s" % ab: sorted(tpl[ab[0]] & tpl[ab[1]]) for ab in pairs}
    tap(all(not v for v in shared.values()), "data/demo-templates.tsv: splits share no template",
        shared)
    for split in splits:
        langs = {x["source"]["family"].rsplit("-", 1)[-1] for x in splits[split]}
        tap(("en" in langs) and ({"zh", "hant"} & langs), "%s has Chinese and English" % split,
            langs)


def check_lexicons():
    r = run("--check-lexicon", "--offline")
    tap(r.returncode == 0, "the committed lexicons equal a fresh derivation", show(r))
    for lang in ("zh", "en"):
        path = os.path.join(ROOT, "data", "lexicon", "emotion-%s.tsv" % lang)
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        header = "\n".join(line for line in lines if line.startswith("#"))
        rows = [line.split("\t") for line in lines if line and not line.startswith("#")]
        tap(all(len(c) == 2 and c[1] in CATEGORIES and c[0] for c in rows),
            "emotion-%s.tsv: word<TAB>category lines" % lang)
        words = [c[0] for c in rows]
        tap(len(words) == len(set(words)) == EXPECTED["lexicon_words"][lang],
            "emotion-%s.tsv: %d distinct words" % (lang, EXPECTED["lexicon_words"][lang]),
            len(words))
        tap(all(s in header for s in ("cldr-annotations-full", "48.2.0", "Unicode-3.0",
                                      "emojibase-data", "17.0.0", "MIT", "emotion-map.tsv")),
            "emotion-%s.tsv: the header names sources, versions and licences" % lang)


def check_offline_and_integrity(tmp, cache):
    empty = os.path.join(tmp, "empty-cache")
    os.mkdir(empty)
    r = run("--fetch-only", "--offline", "--cache", empty)
    tap(r.returncode == 1 and "--offline" in r.stderr and not os.listdir(empty),
        "--offline with an empty cache fails and fetches nothing", show(r))
    bad = os.path.join(tmp, "bad-cache")
    os.mkdir(bad)
    shutil.copy(os.path.join(cache, "emojibase-data-17.0.0.tgz"), bad)
    with open(os.path.join(bad, "emojibase-data-17.0.0.tgz"), "r+b") as f:
        f.seek(1000)
        f.write(b"\0" * 16)
    r = run("--lexicon", "--offline", "--cache", bad)
    tap(r.returncode == 1 and "integrity differs" in r.stderr,
        "a tarball whose SHA-512 is not the pinned one is refused", show(r))


def check_eigml_eval(tmp, out):
    if EIGML is None:
        return
    with open(os.path.join(tmp, "vocab.txt"), "w") as f:
        f.write("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n")
    config = {"model": {
        "text_encoder": {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                         "intermediate_size": 64, "vocab_size": 5,
                         "max_position_embeddings": 24},
        "vision_encoder": {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                           "intermediate_size": 64, "image_size": 16, "patch_size": 8},
        "max_len": 12, "knowledge_len": 6, "n_candidates": 10, "proj_dim": 16,
        "fusion_heads": 2, "fusion_ffn": 48}}
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump(config, f)
    r = subprocess.run([EIGML, "eval", "--data", out, "--format", "jsonl", "--split", "val",
                        "--init", "random", "--config", os.path.join(tmp, "config.json"),
                        "--vocab", os.path.join(tmp, "vocab.txt"), "--max-examples", "200",
                        "--json", "--backend", "cpu", "--predictions",
                        os.path.join(tmp, "predictions.jsonl")],
                       capture_output=True, text=True, timeout=300, cwd=tmp)
    try:
        m = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        m = {}
    tap(r.returncode == 0 and m.get("examples") == 200 and 0.15 < m.get("MAP", 0) < 0.45,
        "eigml eval --init random reads val.jsonl and its WebP stickers (MAP near 0.29)",
        show(r))


def main():
    cache = os.environ.get("EIGML_DEMO_CACHE") or os.path.join(ROOT, "data", "cache")
    r = run("--fetch-only")
    if not tap(r.returncode == 0, "tools/demo-data --fetch-only fills the cache", show(r)):
        print("1..%d" % len(results))
        return 1
    tmp = tempfile.mkdtemp(prefix="eigml-demo-data-")
    try:
        a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        env = dict(os.environ)
        env["PYTHONHASHSEED"] = "1"
        ra = run("--offline", "--out", a, env=env)
        env["PYTHONHASHSEED"] = "2"
        rb = run("--offline", "--out", b, env=env)
        tap(ra.returncode == 0 and rb.returncode == 0, "two offline builds", show(ra) + show(rb))
        ta, tb = tree(a), tree(b)
        tap(ta and ta == tb, "the builds are byte-identical (different hash seeds)",
            sorted(k for k in set(ta) | set(tb) if ta.get(k) != tb.get(k))[:5])
        with open(os.path.join(a, "counts.json"), encoding="utf-8") as f:
            counts = json.load(f)
        check_counts(counts, ra.stdout)
        library = read_jsonl(os.path.join(a, "library.jsonl"))
        splits = {s: read_jsonl(os.path.join(a, s + ".jsonl")) for s in ("train", "val", "test")}
        check_library(a, library)
        check_splits(a, library, splits)
        r = run("--offline", "--out", os.path.join(ROOT, "tools"))
        tap(r.returncode != 0 and "not a demo-data build" in r.stderr,
            "the build refuses to empty a folder it did not make", show(r))
        check_lexicons()
        check_offline_and_integrity(tmp, cache)
        check_eigml_eval(tmp, a)
    finally:
        if os.environ.get("EIGML_TEST_KEEP"):
            print("# kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % len(results))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
