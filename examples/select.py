#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Rank a sticker library for a dialogue through libeigml's introspected API.

    GI_TYPELIB_PATH=build/gir LD_LIBRARY_PATH=build/eigml \\
        /usr/bin/python3 examples/select.py --library data/demo/library.jsonl 今天加班好累 辛苦了

Each argument is one turn of the dialogue, oldest first. Prints the
dialogue's emotion and intention (what the ranker read in it) and the best
stickers with their scores (docs/bindings.md)."""

import argparse
import os

import gi

gi.require_version("Eigml", "1.0")
from gi.repository import Eigml  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

parser = argparse.ArgumentParser(description="rank stickers for a dialogue")
parser.add_argument("turns", nargs="+", metavar="TURN", help="the dialogue, oldest turn first")
parser.add_argument("--model", default=os.path.join(HERE, "..", "data", "default-model"),
                    help="a checkpoint folder (config.json, model.safetensors, vocab.txt)")
parser.add_argument("--library", default=os.path.join(HERE, "..", "data", "demo",
                                                      "library.jsonl"),
                    help="a sticker library (JSON lines)")
parser.add_argument("--top", type=int, default=5, help="how many stickers to print")
args = parser.parse_args()

# the model and its tokenizer: CPU here; Eigml.BackendKind.AUTO takes a GPU
# through Vulkan where there is one
context = Eigml.Context.new(Eigml.BackendKind.CPU, None)
model = Eigml.Model.new_from_checkpoint(context, args.model)
tokenizer = Eigml.Tokenizer.new_from_file(os.path.join(args.model, "vocab.txt"))

# the ranker reads the dialogue's emotion with the lexicon annotator and its
# intention with the offline fallback (docs/emotion.md, docs/intent.md)
ranker = Eigml.Ranker.new(model, tokenizer)
ranker.set_emotion_annotator(Eigml.EmotionAnnotator.new())
ranker.set_intent_source(Eigml.IntentSource.new_fallback())

# every sticker's embedding, computed once and cached ($XDG_CACHE_HOME/eigml)
library = Eigml.StickerLibrary.new_from_file(args.library)
ranker.set_library(library, None, None)

# the whole library in two stages: nearest embeddings, then the full model
selection = ranker.select(args.turns, None, args.top)

emotion = selection.get_emotion()
print("emotion: %s (%s)" % (Eigml.emotion_get_name(emotion, True),
                            Eigml.emotion_get_name(emotion, False)))
intents = selection.get_intents()
for relation in Eigml.Intents.get_relation_names():
    values = intents.get(relation) if intents else []
    if values:
        print("%s: %s" % (relation, ", ".join(values)))
# best first: the stickers whose labels or keywords match the dialogue's
# words, by that match ("words": the sticker's place in it), then the
# others ("-") by score (docs/bindings.md)
print("rank  score   sticker  label  (p_vl, s_emo, s_int)  words")
chinese = any("\u4e00" <= ch <= "\u9fff" for ch in "".join(args.turns))
for rank in range(selection.get_n_results()):
    index = selection.get_sticker_index(rank)
    label = library.get_label(index, "zh" if chinese else "en") or ""
    words = selection.get_lexical_rank(rank)
    print("%4d  %.4f  %s  %s  (%.3f, %.3f, %.3f)  %s" % (
        rank + 1, selection.get_score(rank), selection.get_sticker_id(rank), label,
        selection.get_p_vl(rank), selection.get_s_emo(rank), selection.get_s_int(rank),
        words if words else "-"))
