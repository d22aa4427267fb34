# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes data/demo/: the sticker library, the train/val/test splits and
counts.json; and derives the lexicons."""

import collections
import json
import os
import shutil

from . import dataset, emoji as E, lexicon, packages

MARKER = ".eigml-demo-data"
OUTPUTS = ("library.jsonl", "train.jsonl", "val.jsonl", "test.jsonl", "counts.json")


class Sources:
    """Everything read from the packages and the hand-written files."""

    def __init__(self, root, cache, offline, log, images=True):
        self.root = root
        self.manifest = packages.load_manifest(os.path.join(root, "data/packages.json"))
        names = [E.EMOJIBASE, E.CLDR, lexicon.VADER] + ([E.FLUENT] if images else [])
        self.tars = packages.open_all(self.manifest, cache, names, offline, log)
        self.emojis, _, _ = E.load_emojibase(self.tars[E.EMOJIBASE])
        self.cldr_unjoined = E.load_cldr(self.tars[E.CLDR], self.emojis)
        E.load_shortcodes(self.tars[E.EMOJIBASE], self.emojis)
        self.rows = E.load_emotion_map(os.path.join(root, "data/emotion-map.tsv"))
        E.check_emotion_map(self.rows, self.emojis)
        self.vader = lexicon.load_vader(self.tars[lexicon.VADER])
        self.drop = lexicon.load_drop(os.path.join(root, "data/lexicon/drop.tsv"))

    def lexicon_texts(self):
        out = {}
        for lang in ("zh", "en"):
            kept, left = lexicon.derive(self.emojis, self.rows, self.vader, self.drop, lang)
            out[lang] = (lexicon.render(lang, kept, left, self.manifest), len(kept))
        return out


def lexicon_path(root, lang):
    return os.path.join(root, "data/lexicon/emotion-%s.tsv" % lang)


def write_lexicons(src):
    for lang, (text, n) in src.lexicon_texts().items():
        with open(lexicon_path(src.root, lang), "w", encoding="utf-8") as f:
            f.write(text)
        print("demo-data: wrote data/lexicon/emotion-%s.tsv (%d words)" % (lang, n))


def stale_lexicons(src):
    """The languages whose committed lexicon differs from a fresh derivation."""
    stale = []
    for lang, (text, _) in src.lexicon_texts().items():
        try:
            with open(lexicon_path(src.root, lang), encoding="utf-8") as f:
                same = f.read() == text
        except FileNotFoundError:
            same = False
        if not same:
            stale.append(lang)
    return stale


def library_order(e):
    return (e.order if e.order is not None else 1 << 30, e.id)


def library_record(e, asset, cls, rule, emojis, in_dataset):
    def keywords(x):
        if x.cldr_keywords:
            return "cldr", {loc: x.cldr_keywords[loc] for loc in E.LOCALES if loc in x.cldr_keywords}
        if any(x.tags.values()):
            return "emojibase", {loc: x.tags[loc] for loc in E.LOCALES if x.tags.get(loc)}
        return None, {}
    source, kw = keywords(e)
    if source is None and e.base is not None:
        source, kw = keywords(emojis[e.base])
        source = source and source + " (base emoji)"
    return {
        "id": e.id,
        "file": dataset.sticker_path(e.id),
        "emoji": e.emoji,
        "label": {loc: e.label[loc] for loc in E.LOCALES if loc in e.label},
        "keywords": kw,
        "keywords_from": source,
        "shortcodes": e.shortcodes,
        "group": e.group,
        "subgroup": e.subgroup,
        "skin_tone": e.tone,
        "base": e.base,
        "emotion": cls,
        "emotion_rule": rule,
        "asset": asset[len("package/assets/"):],
        "in_dataset": in_dataset,
    }


def prepare_out(out):
    """Empties OUT of what an earlier build wrote; refuses a folder that a
    build did not make."""
    if os.path.isdir(out) and os.listdir(out) and not os.path.exists(os.path.join(out, MARKER)):
        raise SystemExit("demo-data: %s is not empty and not a demo-data build (no %s); "
                         "not writing there" % (out, MARKER))
    for name in OUTPUTS:
        if os.path.exists(os.path.join(out, name)):
            os.unlink(os.path.join(out, name))
    for name in ("stickers", "LICENSES"):
        shutil.rmtree(os.path.join(out, name), ignore_errors=True)
    os.makedirs(os.path.join(out, "stickers"))
    os.makedirs(os.path.join(out, "LICENSES"))
    with open(os.path.join(out, MARKER), "w") as f:
        f.write("written by tools/demo-data; the whole folder is rebuilt each run\n")


def write_jsonl(path, records):
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def build(src, out, log=print):
    emojis = src.emojis
    fluent = src.tars[E.FLUENT]
    assets, join = E.join_images(fluent, emojis)
    library = sorted((emojis[i] for i in assets), key=library_order)
    classes = {}
    rules = {}
    for e in library:
        classes[e.id], rules[e.id] = E.emotion_of(e, src.rows)
    # the dataset's stickers: those with CLDR names and keywords in all
    # three locales (emoji without skin tones, and the sequences CLDR
    # names), less the skin-tone swatches and hair components
    universe = [e for e in library
                if all(loc in e.cldr_keywords for loc in E.LOCALES) and e.group != "component"]
    in_universe = {e.id for e in universe}
    templates = dataset.load_templates(os.path.join(src.root, "data/demo-templates.tsv"))
    splits, report = dataset.build(universe, classes, templates)

    prepare_out(out)
    sizes = collections.Counter()
    for e in library:
        data = fluent.read(assets[e.id])
        sizes[webp_size(data)] += 1
        with open(os.path.join(out, dataset.sticker_path(e.id)), "wb") as f:
            f.write(data)
    write_jsonl(os.path.join(out, "library.jsonl"),
                [library_record(e, assets[e.id], classes[e.id], rules[e.id], emojis,
                                e.id in in_universe) for e in library])
    for split, examples in splits.items():
        write_jsonl(os.path.join(out, split + ".jsonl"), examples)
    for p in src.manifest:
        for name in p["licence_files"]:
            shutil.copyfile(os.path.join(src.root, "data/licences", name),
                            os.path.join(out, "LICENSES", name))

    def per_class(ids):
        c = collections.Counter(classes[i] or "none" for i in ids)
        return {k: c[k] for k in E.CATEGORIES + ("none",)}

    counts = {
        "packages": {p["name"]: p["version"] for p in src.manifest},
        "images": {
            "files": join["files"],
            "ids": join["ids"],
            "matched": join["matched"],
            "unmatched_files": len(join["unmatched_files"]),
            "twins_left_out": sum(len(t["left"]) for t in join["twins"]),
            "sizes": dict(sorted(sizes.items())),
        },
        "emojibase_entries": len(emojis),
        "emojibase_entries_without_image": len(emojis) - join["matched"],
        "library": {"stickers": len(library), "emotion": per_class(e.id for e in library)},
        "dataset_stickers": {"stickers": len(universe),
                             "emotion": per_class(e.id for e in universe)},
        "pairs_before_cap": report["pairs"],
        "left_out": report["left_out"],
        "examples": {s: len(x) for s, x in splits.items()},
        "examples_by_family": {s: dict(sorted(collections.Counter(
            x["source"]["family"] for x in xs).items())) for s, xs in splits.items()},
        "dialogues": {s: sum(len(x["dialogue"]) == 2 for x in xs) for s, xs in splits.items()},
        "with_emotion": {s: sum("emotion" in x for x in xs) for s, xs in splits.items()},
        "examples_by_emotion": {s: dict(collections.Counter(
            x.get("emotion", "none") for x in xs)) for s, xs in splits.items()},
        "distinct_stickers": {s: len({x["sticker"] for x in xs}) for s, xs in splits.items()},
        "lexicon_words": {lang: n for lang, (_, n) in src.lexicon_texts().items()},
    }
    for s in counts["examples_by_emotion"]:
        c = counts["examples_by_emotion"][s]
        counts["examples_by_emotion"][s] = {k: c.get(k, 0) for k in E.CATEGORIES + ("none",)}
    with open(os.path.join(out, "counts.json"), "w", encoding="utf-8") as f:
        json.dump(counts, f, ensure_ascii=False, indent=2)
        f.write("\n")
    return counts


def webp_size(data):
    """"WxH" of a WebP file from its RIFF header ("?" when it is not one)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return "?"
    chunk = data[12:16]
    if chunk == b"VP8X":        # canvas size minus one, 24 bits each
        w, h = int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    elif chunk == b"VP8 ":      # key frame: 14-bit sizes after the start code
        w, h = (int.from_bytes(data[26:28], "little") & 0x3FFF,
                int.from_bytes(data[28:30], "little") & 0x3FFF)
    elif chunk == b"VP8L":
        b = int.from_bytes(data[21:25], "little")
        w, h = (b & 0x3FFF) + 1, ((b >> 14) & 0x3FFF) + 1
    else:
        return "?"
    return "%dx%d" % (w, h)


def summary(counts):
    im, lib, ds = counts["images"], counts["library"], counts["dataset_stickers"]
    lines = [
        "images: %d files, %d distinct ids, %d matched to emojibase (%d twin files left out, "
        "%d unmatched); sizes %s" % (im["files"], im["ids"], im["matched"],
                                      im["twins_left_out"], im["unmatched_files"],
                                      fmt(im["sizes"])),
        "library: %d stickers; emotion %s" % (lib["stickers"], fmt(lib["emotion"])),
        "dataset stickers: %d; emotion %s" % (ds["stickers"], fmt(ds["emotion"])),
    ]
    for s, n in counts["examples"].items():
        lines.append("%s: %d examples (%d dialogues, %d with emotion, %d stickers) from %s"
                     % (s, n, counts["dialogues"][s], counts["with_emotion"][s],
                        counts["distinct_stickers"][s], fmt(counts["examples_by_family"][s])))
    lines.append("lexicons: %s" % fmt(counts["lexicon_words"]))
    return "\n".join(lines)


def fmt(d):
    return ", ".join("%s %s" % kv for kv in d.items())
