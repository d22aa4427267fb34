// SPDX-License-Identifier: LGPL-2.1-or-later
// Rank a sticker library for a dialogue through libeigml's introspected API,
// from gjs:
//
//     GI_TYPELIB_PATH=build/gir LD_LIBRARY_PATH=build/eigml \
//         gjs -m examples/select.js --library data/demo/library.jsonl 今天加班好累 辛苦了
//
// Each argument is one turn of the dialogue, oldest first. Prints the
// dialogue's emotion and intention and the best stickers with their scores
// (docs/bindings.md). The twin of examples/select.py.
import Eigml from 'gi://Eigml?version=1.0';
import GLib from 'gi://GLib';
import System from 'system';

const here = GLib.path_get_dirname(GLib.filename_from_uri(import.meta.url)[0]);
let modelDir = GLib.build_filenamev([here, '..', 'data', 'default-model']);
let libraryFile = GLib.build_filenamev([here, '..', 'data', 'demo', 'library.jsonl']);
let top = 5;
const turns = [];
for (let i = 0; i < ARGV.length; i++) {
    if (ARGV[i] === '--model')
        modelDir = ARGV[++i];
    else if (ARGV[i] === '--library')
        libraryFile = ARGV[++i];
    else if (ARGV[i] === '--top')
        top = parseInt(ARGV[++i]);
    else
        turns.push(ARGV[i]);
}
if (turns.length === 0 || !(top > 0)) {
    printerr('usage: gjs -m examples/select.js [--model DIR] [--library FILE] [--top N] TURN...');
    System.exit(2);
}

// the model and its tokenizer: CPU here; Eigml.BackendKind.AUTO takes a GPU
// through Vulkan where there is one
const context = Eigml.Context.new(Eigml.BackendKind.CPU, null);
const model = Eigml.Model.new_from_checkpoint(context, modelDir);
const tokenizer = Eigml.Tokenizer.new_from_file(GLib.build_filenamev([modelDir, 'vocab.txt']));

// the dialogue's emotion from the lexicon annotator, its intention from the
// offline fallback (docs/emotion.md, docs/intent.md)
const ranker = Eigml.Ranker.new(model, tokenizer);
ranker.set_emotion_annotator(Eigml.EmotionAnnotator.new());
ranker.set_intent_source(Eigml.IntentSource.new_fallback());

// every sticker's embedding, computed once and cached ($XDG_CACHE_HOME/eigml)
const library = Eigml.StickerLibrary.new_from_file(libraryFile);
ranker.set_library(library, null, null);

// the whole library in two stages: nearest embeddings, then the full model
const selection = ranker.select(turns, null, top);

const emotion = selection.get_emotion();
print(`emotion: ${Eigml.emotion_get_name(emotion, true)} (${Eigml.emotion_get_name(emotion, false)})`);
const intents = selection.get_intents();
for (const relation of Eigml.Intents.get_relation_names()) {
    const values = intents ? intents.get(relation) : [];
    if (values.length > 0)
        print(`${relation}: ${values.join(', ')}`);
}
// best first: the stickers whose labels or keywords match the dialogue's
// words, by that match ("words": the sticker's place in it), then the
// others ("-") by score (docs/bindings.md)
print('rank  score   sticker  label  (p_vl, s_emo, s_int)  words');
const chinese = /[\u4e00-\u9fff]/.test(turns.join(''));
for (let rank = 0; rank < selection.get_n_results(); rank++) {
    const index = selection.get_sticker_index(rank);
    const label = library.get_label(index, chinese ? 'zh' : 'en') ?? '';
    const parts = [selection.get_p_vl(rank), selection.get_s_emo(rank), selection.get_s_int(rank)];
    print(`${String(rank + 1).padStart(4)}  ${selection.get_score(rank).toFixed(4)}  ` +
        `${selection.get_sticker_id(rank)}  ${label}  (${parts.map(x => x.toFixed(3)).join(', ')})  ` +
        `${selection.get_lexical_rank(rank) || '-'}`);
}
