// SPDX-License-Identifier: LGPL-2.1-or-later
// Binding test from gjs, the smallest part of train.py: a tiny model saved
// and loaded back as a checkpoint, Eigml.Ranker.score on PNG stickers
// (written with GdkPixbuf), a StickerLibrary and Ranker.select / select_async
// with every Selection accessor. Prints TAP.
imports.gi.versions.Eigml = '1.0';
imports.gi.versions.GdkPixbuf = '2.0';
const { Eigml, GdkPixbuf, Gio, GLib } = imports.gi;

const results = [];
function check(name, fn) {
    try {
        fn();
        results.push([true, name, '']);
    } catch (e) {
        results.push([false, name, String(e).replace(/\s+/g, ' ')]);
    }
}
function assert(cond, msg) {
    if (!cond)
        throw new Error(msg || 'assertion failed');
}

const dir = GLib.dir_make_tmp('eigml-bindings-gjs-XXXXXX');
const words = ['red', 'green', 'blue', 'cat', 'dog', 'sun', 'rain', 'happy', 'sad', 'tea', 'owl',
    'fish'];
const config = {
    text_encoder: {
        hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 64,
        vocab_size: 40, max_position_embeddings: 24,
    },
    vision_encoder: {
        hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 64,
        image_size: 16, patch_size: 8,
    },
    max_len: 12, knowledge_len: 6, n_candidates: 4, proj_dim: 16, fusion_heads: 2,
    fusion_ffn: 48,
};
const ckpt = GLib.build_filenamev([dir, 'checkpoint']);
const vocab = GLib.build_filenamev([dir, 'vocab.txt']);
const stickers = [];
let ctx = null;
let before = null;

check('a random model saved as a checkpoint', () => {
    GLib.file_set_contents(vocab,
        ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ';', 'to', ...words].join('\n') + '\n');
    for (let s = 0; s < 6; s++) {
        const pixbuf = GdkPixbuf.Pixbuf.new(GdkPixbuf.Colorspace.RGB, false, 8, 16, 16);
        pixbuf.fill(((s & 1 ? 230 : 20) << 24 | (s & 2 ? 230 : 20) << 16 |
                     (s & 4 ? 230 : 20) << 8 | 0xff) >>> 0);
        const path = GLib.build_filenamev([dir, `s${s}.png`]);
        pixbuf.savev(path, 'png', [], []);
        stickers.push(path);
    }
    ctx = Eigml.Context.new(Eigml.BackendKind.CPU, null);
    const mc = Eigml.ModelConfig.new_from_data(JSON.stringify(config), -1);
    const model = Eigml.Model.new(ctx, mc, 7);
    assert(model.get_n_parameters() > 10000, `${model.get_n_parameters()} parameters`);
    before = Eigml.Ranker.new(model, Eigml.Tokenizer.new_from_file(vocab))
        .score(['red green', 'owl'], null, stickers);
    assert(model.save(ckpt), 'save');
});

check('Model.new_from_checkpoint + Ranker.score', () => {
    const model = Eigml.Model.new_from_checkpoint(ctx, ckpt);
    const ranker = Eigml.Ranker.new(model, Eigml.Tokenizer.new_from_file(vocab));
    const scores = ranker.score(['red green', 'owl'], null, stickers);
    assert(scores.length === stickers.length, `${scores.length} scores`);
    for (let i = 0; i < scores.length; i++) {
        assert(scores[i] >= 0 && scores[i] <= 1, `score ${scores[i]}`);
        assert(Math.abs(scores[i] - before[i]) < 1e-6,
            `sticker ${i}: ${scores[i]} after loading, ${before[i]} before saving`);
    }
    const emo = ranker.score(['red green'], [0, 1, 0, 0, 0, 0, 0], stickers.slice(0, 2));
    assert(emo.length === 2, `${emo.length} scores with an emotion`);
});

check('StickerLibrary, Ranker.select / select_async and Selection', () => {
    const model = Eigml.Model.new_from_checkpoint(ctx, ckpt);
    const ranker = Eigml.Ranker.new(model, Eigml.Tokenizer.new_from_file(vocab));
    const library = Eigml.StickerLibrary.new();
    stickers.forEach((path, s) =>
        library.add(`s${s}`, path, `sticker ${s}`, `贴纸${s}`, s % 2 ? '乐' : null));
    const annotator = Eigml.EmotionAnnotator.new_empty();
    annotator.add_word('happy', Eigml.Emotion.JOY);
    ranker.set_emotion_annotator(annotator);
    ranker.set_intent_source(Eigml.IntentSource.new_fallback());
    assert(ranker.set_library(library, GLib.build_filenamev([dir, 'cache']), null), 'set_library');

    const sel = ranker.select(['red green', 'happy owl'], null, 4);
    assert(sel instanceof Eigml.Selection && sel.get_n_results() === 4,
        `${sel.get_n_results()} results`);
    assert(sel.get_emotion() === Eigml.Emotion.JOY, `emotion ${sel.get_emotion()}`);
    const dist = sel.get_emotion_distribution();
    assert(dist.length === 7 && dist[Eigml.Emotion.JOY] === 1, `distribution ${dist}`);
    const intents = sel.get_intents();
    assert(intents !== null && !intents.is_empty() && intents.get('xIntent').length > 0,
        'no intention knowledge');
    for (let r = 0; r < 4; r++) {
        assert(sel.get_sticker_id(r) === library.get_id(sel.get_sticker_index(r)), `rank ${r}`);
        for (const x of [sel.get_score(r), sel.get_p_vl(r), sel.get_s_emo(r), sel.get_s_int(r)])
            assert(x >= 0 && x <= 1, `rank ${r}: ${x}`);
        if (r > 0)
            assert(sel.get_score(r) <= sel.get_score(r - 1), 'not best first');
    }
    const some = ranker.select(['red green'], ['s1', 's4'], 5);
    assert(some.get_n_results() === 2, `${some.get_n_results()} of 2 candidates`);
    assert(some.get_emotion() === Eigml.Emotion.NONE, 'an emotion without lexicon words');

    // select_async: the same, delivered in the main loop
    const loop = new GLib.MainLoop(null, false);
    let again = null;
    ranker.select_async(['red green', 'happy owl'], null, 4, null, (r, res) => {
        again = r.select_finish(res);
        loop.quit();
    });
    GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, 60, () => loop.quit());
    loop.run();
    assert(again !== null, 'select_async never finished');
    for (let r = 0; r < 4; r++) {
        assert(again.get_sticker_id(r) === sel.get_sticker_id(r) &&
               Math.abs(again.get_score(r) - sel.get_score(r)) < 1e-6, `async rank ${r}`);
    }
    let threw = false;
    try {
        ranker.select(['red'], ['s1', 'nope'], 2);
    } catch (e) {
        threw = String(e).includes('nope');
    }
    assert(threw, 'an unknown candidate was accepted');
});

check('a missing checkpoint is an error', () => {
    let threw = false;
    try {
        Eigml.Model.new_from_checkpoint(ctx, GLib.build_filenamev([dir, 'nothing']));
    } catch (e) {
        threw = true;
        assert(String(e).includes('nothing'), String(e));
    }
    assert(threw, 'a missing folder loaded');
});

if (!GLib.getenv('EIGML_TEST_KEEP')) {
    for (const f of [...stickers, vocab, `${ckpt}/config.json`, `${ckpt}/model.safetensors`])
        GLib.unlink(f);
    GLib.rmdir(ckpt);
    const cache = GLib.build_filenamev([dir, 'cache']);
    if (GLib.file_test(cache, GLib.FileTest.IS_DIR)) {
        const children = Gio.File.new_for_path(cache).enumerate_children('standard::name',
            Gio.FileQueryInfoFlags.NONE, null);
        for (let info; (info = children.next_file(null)) !== null;)
            GLib.unlink(GLib.build_filenamev([cache, info.get_name()]));
        GLib.rmdir(cache);
    }
    GLib.rmdir(dir);
}

print(`1..${results.length}`);
results.forEach(([ok, name, why], i) =>
    print(`${ok ? 'ok' : 'not ok'} ${i + 1} - ${name}${ok ? '' : ' # ' + why}`));
if (!results.every(r => r[0]))
    imports.system.exit(1);
