#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A small sticker library for the binding, example and GTK tests: twelve
64x64 PNG stickers (a face-like pattern per emotion, drawn with PIL) and a
library.jsonl with English and Chinese labels and DUTIR emotions, in the
format of data/demo/library.jsonl. Run as a script: fixture.py DIR."""

import json
import os
import sys

from PIL import Image, ImageDraw

# id, English label, Chinese label, emotion (None: no emotion), colour
STICKERS = [
    ("happy", "happy", "开心", "乐", (250, 200, 40)),
    ("laugh", "laughing", "哈哈", "乐", (255, 170, 30)),
    ("thanks", "thank you", "谢谢", "好", (120, 200, 120)),
    ("love", "love you", "爱你", "好", (240, 90, 140)),
    ("sad", "sad", "难过", "哀", (90, 130, 220)),
    ("tired", "so tired", "好累", "哀", (140, 140, 170)),
    ("angry", "angry", "生气", "怒", (220, 50, 40)),
    ("scared", "scared", "害怕", "惧", (150, 90, 200)),
    ("yuck", "disgusted", "恶心", "恶", (110, 160, 60)),
    ("wow", "surprised", "惊讶", "惊", (40, 200, 220)),
    ("hello", "hello", "你好", None, (200, 200, 200)),
    ("bye", "goodbye", "再见", None, (60, 60, 60)),
]


def draw(colour, index):
    """a round face on a light background; the mouth differs per sticker"""
    img = Image.new("RGB", (64, 64), (245, 245, 245))
    d = ImageDraw.Draw(img)
    d.ellipse((6, 6, 58, 58), fill=colour, outline=(30, 30, 30), width=2)
    d.ellipse((20, 22, 26, 28), fill=(30, 30, 30))
    d.ellipse((38, 22, 44, 28), fill=(30, 30, 30))
    bend = (index % 5) * 4 - 8     # smile .. frown
    d.arc((18, 32 + min(bend, 0), 46, 48 - max(bend, 0)),
          0 if bend <= 0 else 180, 180 if bend <= 0 else 360, fill=(30, 30, 30), width=3)
    return img


def make_library(folder):
    """writes FOLDER/img/*.png and FOLDER/library.jsonl; returns the
    library file's path"""
    os.makedirs(os.path.join(folder, "img"), exist_ok=True)
    lines = []
    for i, (sid, en, zh, emotion, colour) in enumerate(STICKERS):
        draw(colour, i).save(os.path.join(folder, "img", sid + ".png"))
        lines.append(json.dumps({"id": sid, "file": "img/%s.png" % sid,
                                 "label": {"en": en, "zh": zh}, "emotion": emotion},
                                ensure_ascii=False))
    path = os.path.join(folder, "library.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: fixture.py DIR")
    print(make_library(sys.argv[1]))
