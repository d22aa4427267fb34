# SPDX-License-Identifier: LGPL-2.1-or-later
"""The demo training set: (utterance or two-turn dialogue, sticker) pairs
whose texts are the packages' labels put into chat templates.

Each split reads its own text sources and its own templates
(data/demo-templates.tsv):

  train  CLDR keywords, zh and en
  val    CLDR names (tts), zh and en
  test   CLDR keywords and names in zh-Hant, and English shortcodes of
         emojibase (github, iamcal, joypixels, emojibase)

and a filler (the label, compared casefolded with '_' as a space) that an
earlier split used is not used again, so val and test hold only words and
phrasings that train never shows."""

import collections
import hashlib

from . import emoji as E

SEED = 42
N_CANDIDATES = 10
MAX_SHARED = 8          # a filler naming more stickers than this is too generic
DIALOGUE_EVERY = 3      # one pair in 3 becomes a two-turn dialogue
CAP = {"train": 20000, "val": 2000, "test": 2000}

SPLITS = (
    ("train", ("cldr-keyword-zh", "cldr-keyword-en")),
    ("val", ("cldr-name-zh", "cldr-name-en")),
    ("test", ("cldr-keyword-zh-hant", "cldr-name-zh-hant", "shortcode-en")),
)
FAMILY_LANG = {
    "cldr-keyword-zh": "zh", "cldr-name-zh": "zh",
    "cldr-keyword-en": "en", "cldr-name-en": "en", "shortcode-en": "en",
    "cldr-keyword-zh-hant": "zh-hant", "cldr-name-zh-hant": "zh-hant",
}

MASK64 = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15


def mix64(z):
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & MASK64
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB & MASK64
    return z ^ (z >> 31)


class SplitMix64:
    """The generator of docs/datasets.md ("Candidate order and the
    generator"), seeded from (seed, example index)."""

    def __init__(self, seed, index):
        self.state = mix64((seed ^ mix64((index + GAMMA) & MASK64)) & MASK64)

    def next(self):
        self.state = (self.state + GAMMA) & MASK64
        return mix64(self.state)

    def below(self, n):
        threshold = (1 << 64) % n
        while True:
            d = self.next()
            if d >= threshold:
                return d % n


def stable_hash(*parts):
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()[:8], "big")


def norm(s):
    return " ".join(s.replace("_", " ").casefold().split())


def usable(key):
    # a letter (CJK counts), and two characters unless it is a Chinese one
    # (哭, 猫): no "1", "+1", "143", "*", "a"
    return any(c.isalpha() for c in key) and (len(key) >= 2 or ord(key) > 0x7F)


def texts_of(e):
    """{family: [filler]} of an emoji; keywords leave out the name, which is
    a family of its own."""
    out = {}
    for loc in ("zh", "en", "zh-hant"):
        name = e.cldr_name.get(loc)
        out["cldr-keyword-" + loc] = [w for w in e.cldr_keywords.get(loc, []) if w != name]
        out["cldr-name-" + loc] = [name] if name else []
    out["shortcode-en"] = list(e.shortcodes)
    return out


def load_templates(path):
    """{split: {lang: {kind: [template]}}}."""
    out = collections.defaultdict(lambda: collections.defaultdict(lambda: collections.defaultdict(list)))
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 4 or cols[0] not in dict(SPLITS) or \
               cols[1] not in ("zh", "zh-hant", "en") or cols[2] not in ("any", "feel", "opener"):
                raise ValueError("%s:%d: expected split<TAB>lang<TAB>any|feel|opener<TAB>template"
                                 % (path, n))
            out[cols[0]][cols[1]][cols[2]].append(cols[3])
    return out


def concept(eid):
    return E.without_gender_direction(E.without_skin_tones(eid))


def build(universe, classes, templates):
    """{split: [example]} and a report. UNIVERSE: the Emoji the dataset may
    use, in library order; CLASSES: {id: category or None}."""
    texts = {e.id: texts_of(e) for e in universe}
    sharers = collections.defaultdict(set)      # filler key -> sticker ids
    for eid, fams in texts.items():
        for fillers in fams.values():
            for f in fillers:
                sharers[norm(f)].add(eid)
    concept_mates = collections.defaultdict(set)
    for e in universe:
        concept_mates[concept(e.id)].add(e.id)
    ids = [e.id for e in universe]

    used, out, report = set(), {}, {"pairs": {}, "left_out": {}}
    for split, families in SPLITS:
        pairs, seen, left = [], set(), collections.Counter()
        for e in universe:
            for fam in families:
                for f in texts[e.id][fam]:
                    k = norm(f)
                    if (e.id, k) in seen:
                        continue
                    seen.add((e.id, k))
                    if not usable(k):
                        left["not a word"] += 1
                    elif len(sharers[k]) > MAX_SHARED:
                        left["names more than %d stickers" % MAX_SHARED] += 1
                    elif k in used:
                        left["used by an earlier split"] += 1
                    else:
                        pairs.append((e, fam, f))
        used.update(norm(f) for _, _, f in pairs)
        report["pairs"][split] = len(pairs)
        report["left_out"][split] = dict(sorted(left.items()))
        pairs.sort(key=lambda p: stable_hash(split, p[0].id, p[2]))
        pairs = pairs[:CAP[split]]

        examples = []
        for index, (e, fam, f) in enumerate(pairs):
            examples.append(make_example(split, index, e, fam, f, classes[e.id],
                                         templates[split][FAMILY_LANG[fam]],
                                         sharers[norm(f)] | concept_mates[concept(e.id)],
                                         ids))
        out[split] = examples
    return out, report


def make_example(split, index, e, fam, filler, cls, tpl, excluded, ids):
    h = stable_hash(split, e.id, filler)
    choices = tpl["any"] + (tpl["feel"] if cls else [])
    t = h % len(choices)
    kind = "any" if t < len(tpl["any"]) else "feel"
    n_kind = t if kind == "any" else t - len(tpl["any"])
    shown = filler.replace("_", " ") if fam == "shortcode-en" else filler
    text = choices[t].replace("{kw}", shown).replace("{raw}", filler)
    dialogue = [{"speaker": "A", "text": text}]
    template = "%s/%s/%s/%d" % (split, FAMILY_LANG[fam], kind, n_kind + 1)
    if (h >> 20) % DIALOGUE_EVERY == 0:
        openers = tpl["opener"]
        o = (h >> 40) % len(openers)
        dialogue.insert(0, {"speaker": "B", "text": openers[o]})
        template += "+opener/%d" % (o + 1)

    # negatives: any sticker of the universe but those the filler also
    # names and those of the positive's concept (skin tones, genders)
    rng = SplitMix64(SEED, index)
    negatives = []
    while len(negatives) < N_CANDIDATES - 1:
        c = ids[rng.below(len(ids))]
        if c not in excluded and c not in negatives:
            negatives.append(c)
    ex = {"id": "%s-%05d" % (split, index + 1),
          "dialogue": dialogue,
          "sticker": sticker_path(e.id),
          "candidates": [sticker_path(e.id)] + [sticker_path(c) for c in negatives]}
    if cls:
        ex["emotion"] = cls
    ex["source"] = {"family": fam, "filler": filler, "template": template, "sticker_id": e.id}
    return ex


def sticker_path(eid):
    return "stickers/%s.webp" % eid
