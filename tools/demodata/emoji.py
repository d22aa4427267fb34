# SPDX-License-Identifier: LGPL-2.1-or-later
"""Emoji ids, the labels of emojibase-data and CLDR, the join of the Fluent
Emoji images to them, and the hand-written emotion map.

An emoji's id is its code point sequence in lowercase hex, each code point
at least 4 digits, joined by '-', with the variation selectors FE0E and FE0F
left out: emojibase writes red heart as 2764 and eye in speech bubble as
1F441-FE0F-200D-1F5E8-FE0F, CLDR keys them by the string without FE0F,
the image files are named 2764.webp and 1f441-fe0f-200d-1f5e8-fe0f.webp;
all four give the ids 2764 and 1f441-200d-1f5e8."""

import collections
import re

EMOJIBASE = "emojibase-data"
CLDR = "cldr-annotations-full"
FLUENT = "@lobehub/fluent-emoji-3d"

LOCALES = ("en", "zh", "zh-hant")                     # emojibase's names
CLDR_LOCALE = {"en": "en", "zh": "zh", "zh-hant": "zh-Hant"}
CATEGORIES = ("好", "乐", "哀", "怒", "惧", "恶", "惊")   # DUTIR order
VARIATION_SELECTORS = (0xFE0E, 0xFE0F)
SKIN_TONES = range(0x1F3FB, 0x1F400)
TAG_CANCEL = 0xE007F


def make_id(code_points):
    return "-".join("%04x" % c for c in code_points if c not in VARIATION_SELECTORS)


def id_of_hexcode(hexcode):
    """emojibase's "1F441-FE0F-200D-1F5E8-FE0F" -> "1f441-200d-1f5e8"."""
    return make_id(int(h, 16) for h in hexcode.split("-"))


def id_of_string(s):
    return make_id(ord(c) for c in s)


def id_of_file_stem(stem):
    """A Fluent Emoji file name without .webp. Besides the plain form the
    package has unpadded twins ("23-fe0f-20e3" beside "0023-fe0f-20e3") and
    writes subdivision flags with '_' and without the closing CANCEL TAG
    ("1f3f4-e0067_e0062_e0065_e006e_e0067" is England, whose sequence ends
    in E007F): both join to the emojibase entry."""
    cps = [int(h, 16) for h in re.split(r"[-_]", stem)]
    if any(0xE0020 <= c < TAG_CANCEL for c in cps) and cps[-1] != TAG_CANCEL:
        cps.append(TAG_CANCEL)
    return make_id(cps)


def without_skin_tones(eid):
    return "-".join(p for p in eid.split("-") if int(p, 16) not in SKIN_TONES)


def without_gender_direction(eid):
    """Leaves out the ZWJ parts that make a person male, female or facing
    right: "1f64d-200d-2642" -> "1f64d"."""
    return re.sub(r"-200d-(2640|2642|27a1)(?=-|$)", "", eid)


class Emoji:
    __slots__ = ("id", "emoji", "hexcode", "group", "subgroup", "order", "tone", "base",
                 "label", "tags", "cldr_name", "cldr_keywords", "shortcodes")

    def __init__(self, eid):
        self.id = eid
        self.label, self.tags = {}, {}
        self.cldr_name, self.cldr_keywords = {}, {}
        self.shortcodes = []
        self.tone = None
        self.base = None


def load_emojibase(tar):
    """{id: Emoji} of every emojibase entry and skin-tone variant, with
    labels and tags in LOCALES; and the group and subgroup names."""
    meta = tar.json("package/meta/groups.json")
    groups, subgroups = meta["groups"], meta["subgroups"]
    emojis = {}
    for loc in LOCALES:
        def visit(entry, base):
            eid = id_of_hexcode(entry["hexcode"])
            e = emojis.get(eid)
            if e is None:
                e = emojis[eid] = Emoji(eid)
                e.emoji, e.hexcode = entry["emoji"], entry["hexcode"]
                g, sg = entry.get("group"), entry.get("subgroup")
                e.group = groups[str(g)] if g is not None else None
                e.subgroup = subgroups[str(sg)] if sg is not None else None
                e.order = entry.get("order")
                e.tone = entry.get("tone")
                e.base = base
            e.label[loc] = entry["label"]
            e.tags[loc] = list(entry.get("tags", []))
            for skin in entry.get("skins", []):
                visit(skin, eid)
        for entry in tar.json("package/%s/data.json" % loc):
            visit(entry, None)
    return emojis, groups, subgroups


# English shortcodes of chat and code platforms: community names that CLDR
# does not use ("sob", "heart_eyes", "sweat_smile")
SHORTCODE_SETS = ("github", "iamcal", "joypixels", "emojibase")


def load_shortcodes(tar, emojis):
    for name in SHORTCODE_SETS:
        for hexcode, codes in sorted(tar.json("package/en/shortcodes/%s.json" % name).items()):
            e = emojis.get(id_of_hexcode(hexcode))
            if e is None:
                continue
            for code in [codes] if isinstance(codes, str) else codes:
                if code not in e.shortcodes:
                    e.shortcodes.append(code)


def load_cldr(tar, emojis):
    """Adds CLDR's name (tts) and keywords (default) to the emojibase
    entries; returns how many CLDR entries per locale had none to join."""
    missing = {}
    for loc, cloc in CLDR_LOCALE.items():
        doc = tar.json("package/annotations/%s/annotations.json" % cloc)
        n = 0
        for s, a in sorted(doc["annotations"]["annotations"].items()):
            e = emojis.get(id_of_string(s))
            if e is None:
                n += 1      # symbols and letters that are not emoji ('{', '→')
                continue
            e.cldr_name[loc] = a.get("tts", [""])[0]
            e.cldr_keywords[loc] = list(a.get("default", []))
        missing[loc] = n
    return missing


def join_images(tar, emojis):
    """{id: asset path in the tarball} for the images whose id is an
    emojibase entry, and a report of the join."""
    paths = [n for n in tar.names("package/assets/") if n.endswith(".webp")]
    by_id = collections.defaultdict(list)
    for p in paths:
        by_id[id_of_file_stem(p[len("package/assets/"):-len(".webp")])].append(p)
    chosen, twins, unmatched = {}, [], []
    for eid, ps in sorted(by_id.items()):
        e = emojis.get(eid)
        if e is None:
            unmatched.extend(ps)
            continue
        if len(ps) > 1:
            # twins differ in bytes: keep the file named by the fully
            # qualified sequence (emojibase's "emoji" string, FE0F included)
            # spelled with 4-digit code points
            want = "package/assets/%s.webp" % "-".join("%04x" % ord(c) for c in e.emoji)
            ps = sorted(ps, key=lambda p: (p != want, p))
            twins.append({"id": eid, "kept": ps[0][len("package/assets/"):],
                          "left": [p[len("package/assets/"):] for p in ps[1:]]})
        chosen[eid] = ps[0]
    report = {"files": len(paths), "ids": len(by_id), "matched": len(chosen),
              "twins": twins,
              "unmatched_files": [p[len("package/assets/"):] for p in unmatched]}
    return chosen, report


def load_emotion_map(path):
    """{("subgroup"|"emoji", key): class or None} from data/emotion-map.tsv."""
    rows = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 4 or cols[0] not in ("subgroup", "emoji") or \
               (cols[2] != "-" and cols[2] not in CATEGORIES):
                raise ValueError("%s:%d: expected kind<TAB>key<TAB>class<TAB>why, with kind "
                                 "subgroup or emoji and class one of %s or -" %
                                 (path, n, " ".join(CATEGORIES)))
            k = (cols[0], cols[1])
            if k in rows:
                raise ValueError("%s:%d: %s %s is given twice" % (path, n, cols[0], cols[1]))
            rows[k] = None if cols[2] == "-" else cols[2]
    return rows


def emotion_of(e, rows):
    """(class or None, the rule that gave it)."""
    for eid in dict.fromkeys([e.id, without_skin_tones(e.id),
                              without_gender_direction(without_skin_tones(e.id))]):
        if ("emoji", eid) in rows:
            return rows[("emoji", eid)], "emoji " + eid
    if ("subgroup", e.subgroup) in rows:
        return rows[("subgroup", e.subgroup)], "subgroup " + e.subgroup
    return None, "unlisted"


def check_emotion_map(rows, emojis):
    """Every row must name an emoji or subgroup that exists."""
    ids = set(emojis)
    subgroups = {e.subgroup for e in emojis.values()}
    bad = [k for k in rows if (k[0] == "emoji" and k[1] not in ids) or
           (k[0] == "subgroup" and k[1] not in subgroups)]
    if bad:
        raise ValueError("data/emotion-map.tsv names what emojibase does not have: %s" %
                         ", ".join("%s %s" % k for k in bad))
