// SPDX-License-Identifier: LGPL-2.1-or-later
// eigml-chat.js: a GTK 4 chat window that suggests stickers as you type.
//
//     gjs -m tools/eigml-chat.js [--model DIR] [--library FILE] [--backend NAME]
//
// It drives libeigml through GObject Introspection, in this process (no
// server): Eigml.Model from a checkpoint, Eigml.Tokenizer, an Eigml.Ranker
// with the emotion annotator and the offline intent fallback, the sticker
// library (Ranker.set_library_async), and Ranker.select_async for the
// dialogue as the draft changes (debounced; the ranking runs in a libeigml
// worker thread, so typing never waits for it). A suggestion shows the
// sticker, its score and its label; the header of the suggestions the
// emotion and intention the ranker read in the dialogue. Clicking a sticker
// sends the draft and the sticker into the transcript. docs/gtk-demo.md.
//
// From a source tree it uses the build next to it (../build, or
// $EIGML_BUILD_DIR) unless GI_TYPELIB_PATH is set; installed, the
// `eigml-chat` launcher runs it. --self-test types, waits for stickers,
// clicks one, saves a screenshot (--screenshot FILE) and prints TAP.
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import GIRepository from 'gi://GIRepository?version=2.0';
import gi from 'gi';
import System from 'system';

const HERE = GLib.path_get_dirname(GLib.filename_from_uri(import.meta.url)[0]);
const TOP_K = 8;
const DEBOUNCE_MS = 150;
const MAX_TURNS = 4;          // the draft and the three messages before it
const SELF_TEST_TIMEOUT_S = parseInt(GLib.getenv("EIGML_CHAT_TEST_TIMEOUT") ?? "240");

function usage(status) {
    (status ? printerr : print)(
        'usage: gjs -m tools/eigml-chat.js [--model DIR] [--library FILE] [--backend NAME]\n' +
        '                                  [--self-test [--screenshot FILE]]\n' +
        '  --model DIR      a checkpoint folder (default: the committed default model)\n' +
        '  --library FILE   a sticker library (default: data/demo/library.jsonl)\n' +
        '  --backend NAME   auto, cpu (default) or vulkan\n' +
        '  --self-test      type, wait for stickers, click one, print TAP, exit\n' +
        '  --screenshot F   with --self-test: save the window as a PNG');
    System.exit(status);
}

function firstExisting(paths) {
    return paths.find(p => GLib.file_test(p, GLib.FileTest.EXISTS)) ?? null;
}

function parseArgs(argv) {
    const o = {model: null, library: null, backend: 'cpu', selfTest: false, screenshot: null};
    for (let i = 0; i < argv.length; i++) {
        const value = () => {
            if (i + 1 >= argv.length)
                usage(2);
            return argv[++i];
        };
        switch (argv[i]) {
        case '--model': o.model = value(); break;
        case '--library': o.library = value(); break;
        case '--backend': o.backend = value(); break;
        case '--self-test': o.selfTest = true; break;
        case '--screenshot': o.screenshot = value(); break;
        case '--help': case '-h': usage(0); break;
        default: printerr(`eigml-chat: unknown argument ${argv[i]}`); usage(2);
        }
    }
    if (GLib.getenv('EIGML_CHAT_TEST'))
        o.selfTest = true;
    // a source tree's model and demo data, or the installed model beside
    // this file ($datadir/eigml/)
    o.model ??= firstExisting([GLib.build_filenamev([HERE, '..', 'data', 'default-model']),
        GLib.build_filenamev([HERE, 'default-model'])]);
    o.library ??= firstExisting([GLib.build_filenamev([HERE, '..', 'data', 'demo',
        'library.jsonl'])]);
    return o;
}

// an uninstalled build: its typelib and library, unless the caller chose
const buildDir = GLib.getenv('EIGML_BUILD_DIR') ?? GLib.build_filenamev([HERE, '..', 'build']);
if (!GLib.getenv('GI_TYPELIB_PATH') &&
    GLib.file_test(GLib.build_filenamev([buildDir, 'gir', 'Eigml-1.0.typelib']),
        GLib.FileTest.EXISTS)) {
    GIRepository.Repository.prepend_search_path(GLib.build_filenamev([buildDir, 'gir']));
    GIRepository.Repository.prepend_library_path(GLib.build_filenamev([buildDir, 'eigml']));
}
// gi.require, not a top-level await: app.run() below must not run inside the
// module's promise job, or no promise settles while the window is open
const Eigml = gi.require('Eigml', '1.0');
const Gtk = gi.require('Gtk', '4.0');
const Gdk = gi.require('Gdk', '4.0');
const GdkPixbuf = gi.require('GdkPixbuf', '2.0');
const Graphene = gi.require('Graphene', '1.0');
const Pango = gi.require('Pango', '1.0');

const CSS = `
.bubble { background-color: #dcecff; color: #102030; border-radius: 14px; padding: 6px 12px; }
.bubble.sticker { background-color: transparent; padding: 2px; }
.suggestions-header { font-weight: bold; }
.score { font-size: smaller; font-feature-settings: "tnum"; }
.caption { font-size: smaller; opacity: 0.7; }
`;

const isChinese = text => /[\u3400-\u9fff]/.test(text);

function emotionText(emotion) {
    return `${Eigml.emotion_get_name(emotion, true)} ${Eigml.emotion_get_name(emotion, false)}`;
}

/* the widget as drawn now, rendered by its window's renderer into a PNG */
function saveScreenshot(widget, path) {
    const width = widget.get_width(), height = widget.get_height();
    const snapshot = new Gtk.Snapshot();
    new Gtk.WidgetPaintable({widget}).snapshot(snapshot, width, height);
    const node = snapshot.to_node();
    if (node === null)
        throw new Error('the window drew nothing');
    const rect = new Graphene.Rect().init(0, 0, width, height);
    const texture = widget.get_native().get_renderer().render_texture(node, rect);
    if (!texture.save_to_png(path))
        throw new Error(`could not write ${path}`);
}

class ChatWindow {
    constructor(app, options) {
        this.options = options;
        this.ranker = null;
        this.library = null;
        this.transcript = [];        // {kind: 'text', text} | {kind: 'sticker', id, label}
        this.suggestions = [];       // {id, index, path, label, score, button}
        this.latencies = [];         // ms per select_async, the warm-up excluded
        this.shownKey = null;        // the dialogue the suggestions are for
        this._textures = new Map();
        this._inflight = false;
        this._rerun = false;
        this._debounce = 0;
        this._waiters = [];

        const provider = new Gtk.CssProvider();
        provider.load_from_data(new TextEncoder().encode(CSS));
        Gtk.StyleContext.add_provider_for_display(Gdk.Display.get_default(), provider,
            Gtk.STYLE_PROVIDER_PRIORITY_APPLICATION);

        this.window = new Gtk.ApplicationWindow({
            application: app, title: 'Eigml chat', default_width: 840, default_height: 680,
        });
        const header = new Gtk.HeaderBar();
        const titles = new Gtk.Box({orientation: Gtk.Orientation.VERTICAL,
            valign: Gtk.Align.CENTER});
        titles.append(new Gtk.Label({label: 'Eigml chat', css_classes: ['title']}));
        this.subtitle = new Gtk.Label({label: 'loading…', css_classes: ['subtitle'],
            ellipsize: Pango.EllipsizeMode.MIDDLE});
        titles.append(this.subtitle);
        header.set_title_widget(titles);
        this.window.set_titlebar(header);

        const main = new Gtk.Box({orientation: Gtk.Orientation.VERTICAL, spacing: 6,
            margin_top: 6, margin_bottom: 6, margin_start: 8, margin_end: 8});
        this.window.set_child(main);

        // the transcript
        this.transcriptList = new Gtk.ListBox({selection_mode: Gtk.SelectionMode.NONE,
            css_classes: ['background']});
        this.transcriptList.set_placeholder(new Gtk.Label({
            label: 'Type a message below: stickers that fit it appear as you type.\n' +
                   '在下面输入消息，合适的表情贴纸会随输入出现。',
            css_classes: ['dim-label'], justify: Gtk.Justification.CENTER, margin_top: 40}));
        this.scroller = new Gtk.ScrolledWindow({vexpand: true, child: this.transcriptList,
            hscrollbar_policy: Gtk.PolicyType.NEVER});
        main.append(this.scroller);
        main.append(new Gtk.Separator());

        // the suggestions: what the ranker read, then the stickers
        this.suggestionsHeader = new Gtk.Label({xalign: 0, css_classes: ['suggestions-header'],
            ellipsize: Pango.EllipsizeMode.END, label: 'Suggestions'});
        main.append(this.suggestionsHeader);
        this.flow = new Gtk.FlowBox({selection_mode: Gtk.SelectionMode.NONE,
            min_children_per_line: 4, max_children_per_line: TOP_K, homogeneous: true,
            column_spacing: 4, row_spacing: 4});
        main.append(this.flow);

        // the draft
        const row = new Gtk.Box({spacing: 6});
        this.entry = new Gtk.Entry({hexpand: true,
            placeholder_text: 'Type a message… / 输入消息…'});
        this.entry.connect('changed', () => this._scheduleRanking());
        this.entry.connect('activate', () => this.sendText());
        const send = new Gtk.Button({label: 'Send', css_classes: ['suggested-action']});
        send.connect('clicked', () => this.sendText());
        row.append(this.entry);
        row.append(send);
        main.append(row);

        const statusRow = new Gtk.Box({spacing: 6});
        this.spinner = new Gtk.Spinner({spinning: true});
        this.status = new Gtk.Label({xalign: 0, hexpand: true, css_classes: ['caption'],
            ellipsize: Pango.EllipsizeMode.END, label: 'Loading the model…'});
        statusRow.append(this.spinner);
        statusRow.append(this.status);
        main.append(statusRow);

        this.ready = new Promise((resolve, reject) => {
            this._resolveReady = resolve;
            this._rejectReady = reject;
        });
    }

    /* the model synchronously (a fraction of a second), the library's
     * embeddings in a worker thread (seconds the first time), then one
     * warm-up ranking that builds the inference passes */
    load() {
        try {
            const o = this.options;
            if (!o.model)
                throw new Error('no model: pass --model DIR');
            if (!o.library) {
                throw new Error('no sticker library: pass --library FILE ' +
                    '(tools/demo-data builds data/demo/library.jsonl)');
            }
            let backend = Eigml.BackendKind.CPU;
            if (o.backend !== 'cpu')
                [, backend] = Eigml.backend_kind_from_string(o.backend);
            const context = Eigml.Context.new(backend, null);
            const model = Eigml.Model.new_from_checkpoint(context, o.model);
            const tokenizer = Eigml.Tokenizer.new_from_file(
                GLib.build_filenamev([o.model, 'vocab.txt']));
            this.ranker = Eigml.Ranker.new(model, tokenizer);
            this.ranker.set_emotion_annotator(Eigml.EmotionAnnotator.new());
            this.ranker.set_intent_source(Eigml.IntentSource.new_fallback());
            this.library = Eigml.StickerLibrary.new_from_file(o.library);
            const n = this.library.get_n_stickers();
            this.subtitle.label = `${GLib.path_get_basename(o.model)} · ` +
                `${n} stickers · ${context.device_name}`;
            this._setStatus(`Preparing ${n} stickers (computed once, then cached)…`, true);
            const t0 = GLib.get_monotonic_time();
            this.ranker.set_library_async(this.library, null, null, (ranker, res) => {
                try {
                    ranker.set_library_finish(res);
                } catch (e) {
                    this._fail(e);
                    return;
                }
                const setMs = (GLib.get_monotonic_time() - t0) / 1000;
                const t1 = GLib.get_monotonic_time();
                ranker.select_async(['你好'], null, 1, null, (r, res2) => {
                    try {
                        r.select_finish(res2);
                    } catch (e) {
                        this._fail(e);
                        return;
                    }
                    const warmMs = (GLib.get_monotonic_time() - t1) / 1000;
                    this.loadTimes = {library: setMs, warmUp: warmMs,
                        fromCache: ranker.get_library_from_cache()};
                    this._setStatus(`Ready: library ${ranker.get_library_from_cache()
                        ? 'read from the cache' : 'embedded'} in ${setMs.toFixed(0)} ms`, false);
                    this._resolveReady();
                    this._rank();
                });
            });
        } catch (e) {
            this._fail(e);
        }
    }

    _fail(e) {
        const message = e instanceof GLib.Error ? e.message : String(e);
        printerr(`eigml-chat: ${message}`);
        this._setStatus(`Error: ${message}`, false);
        this._rejectReady(new Error(message));
    }

    _setStatus(text, busy) {
        this.status.label = text;
        this.spinner.spinning = busy;
        this.spinner.visible = busy;
    }

    /* the dialogue to rank for: the last text messages and the draft */
    dialogue() {
        const draft = this.entry.get_text().trim();
        if (draft === '')
            return [];
        const turns = this.transcript.filter(m => m.kind === 'text').map(m => m.text);
        turns.push(draft);
        return turns.slice(-MAX_TURNS);
    }

    _scheduleRanking() {
        if (this._debounce)
            GLib.source_remove(this._debounce);
        this._debounce = GLib.timeout_add(GLib.PRIORITY_DEFAULT, DEBOUNCE_MS, () => {
            this._debounce = 0;
            this._rank();
            return GLib.SOURCE_REMOVE;
        });
    }

    /* one request at a time; while one runs, the newest draft waits and
     * replaces any other */
    _rank() {
        if (this.ranker === null || !this.loadTimes)
            return;
        if (this._inflight) {
            this._rerun = true;
            return;
        }
        const turns = this.dialogue();
        const key = JSON.stringify(turns);
        if (key === this.shownKey)
            return;
        if (turns.length === 0) {
            this._show(null, null, turns, 0);
            return;
        }
        this._inflight = true;
        this.spinner.visible = this.spinner.spinning = true;
        const t0 = GLib.get_monotonic_time();
        this.ranker.select_async(turns, null, TOP_K, null, (ranker, res) => {
            this._inflight = false;
            this.spinner.visible = this.spinner.spinning = false;
            let selection = null, error = null;
            try {
                selection = ranker.select_finish(res);
            } catch (e) {
                error = e;
            }
            const ms = (GLib.get_monotonic_time() - t0) / 1000;
            this.latencies.push(ms);
            const current = JSON.stringify(this.dialogue()) === key;
            if (current) {
                this._show(selection, error, turns, ms);
                this._setStatus(`Ranked ${this.library.get_n_stickers()} stickers in ` +
                    `${ms.toFixed(0)} ms`, false);
            }
            if (this._rerun || !current) {
                this._rerun = false;
                this._rank();
            }
        });
    }

    _texture(path) {
        let texture = this._textures.get(path);
        if (texture === undefined) {
            try {
                texture = Gdk.Texture.new_from_filename(path);
            } catch (e) {
                // formats GDK does not decode itself: through gdk-pixbuf
                texture = Gdk.Texture.new_for_pixbuf(GdkPixbuf.Pixbuf.new_from_file(path));
            }
            this._textures.set(path, texture);
        }
        return texture;
    }

    _show(selection, error, turns, ms) {
        for (let child; (child = this.flow.get_first_child()) !== null;)
            this.flow.remove(child);
        this.suggestions = [];
        this.shownKey = JSON.stringify(turns);
        if (error !== null) {
            this.suggestionsHeader.label = `Ranking failed: ${error.message ?? error}`;
        } else if (selection === null) {
            this.suggestionsHeader.label = 'Suggestions';
        } else {
            const chinese = isChinese(turns.join(''));
            const intents = selection.get_intents();
            const intent = intents ? intents.get('xIntent')[0] : undefined;
            this.emotionLabel = emotionText(selection.get_emotion());
            this.suggestionsHeader.label = `Emotion: ${this.emotionLabel}` +
                `${intent ? ` · intent: ${intent}` : ''} · ${ms.toFixed(0)} ms`;
            for (let rank = 0; rank < selection.get_n_results(); rank++) {
                const index = selection.get_sticker_index(rank);
                const s = {
                    id: selection.get_sticker_id(rank), index,
                    path: this.library.get_path(index),
                    label: this.library.get_label(index, chinese ? 'zh' : 'en') ??
                        this.library.get_label(index, chinese ? 'en' : 'zh') ?? '',
                    emotion: this.library.get_emotion(index),
                    score: selection.get_score(rank),
                    words: selection.get_lexical_rank(rank),
                };
                s.button = this._stickerButton(s, selection, rank);
                this.flow.append(s.button);
                this.suggestions.push(s);
            }
        }
        const waiters = this._waiters;
        this._waiters = [];
        for (const w of waiters)
            w(this.shownKey);
    }

    _stickerButton(s, selection, rank) {
        const box = new Gtk.Box({orientation: Gtk.Orientation.VERTICAL, spacing: 2});
        box.append(new Gtk.Image({paintable: this._texture(s.path), pixel_size: 64}));
        box.append(new Gtk.Label({label: s.score.toFixed(3), css_classes: ['score']}));
        box.append(new Gtk.Label({label: s.label, css_classes: ['caption'],
            ellipsize: Pango.EllipsizeMode.END, max_width_chars: 10}));
        const button = new Gtk.Button({child: box, css_classes: ['flat'],
            tooltip_text: `${s.id}${s.emotion ? ` · ${s.emotion}` : ''}\n` +
                `score ${s.score.toFixed(4)} = p_vl ${selection.get_p_vl(rank).toFixed(3)}, ` +
                `s_emo ${selection.get_s_emo(rank).toFixed(3)}, ` +
                `s_int ${selection.get_s_int(rank).toFixed(3)}` +
                (s.words ? `\nits words match the dialogue's (#${s.words}): matches come first` : '')});
        button.connect('clicked', () => this.sendSticker(s));
        return button;
    }

    _append(message) {
        this.transcript.push(message);
        let child;
        if (message.kind === 'text') {
            child = new Gtk.Label({label: message.text, wrap: true, selectable: true,
                wrap_mode: Pango.WrapMode.WORD_CHAR, xalign: 0, max_width_chars: 50,
                css_classes: ['bubble']});
        } else {
            child = new Gtk.Box({orientation: Gtk.Orientation.VERTICAL,
                css_classes: ['bubble', 'sticker']});
            child.append(new Gtk.Image({paintable: this._texture(message.path),
                pixel_size: 96}));
            child.append(new Gtk.Label({label: message.label, css_classes: ['caption']}));
        }
        child.halign = Gtk.Align.END;
        child.margin_top = child.margin_bottom = 3;
        this.transcriptList.append(child);
        // scroll to the new message once it is laid out
        GLib.idle_add(GLib.PRIORITY_LOW, () => {
            const adj = this.scroller.get_vadjustment();
            adj.set_value(adj.get_upper() - adj.get_page_size());
            return GLib.SOURCE_REMOVE;
        });
    }

    sendText() {
        const text = this.entry.get_text().trim();
        if (text === '')
            return;
        this._append({kind: 'text', text});
        this.entry.set_text('');
    }

    sendSticker(s) {
        this.sendText();
        this._append({kind: 'sticker', id: s.id, label: s.label, path: s.path});
        this.entry.grab_focus();
    }

    /* resolves when suggestions for the current draft are shown */
    waitForSuggestions(timeoutMs) {
        const key = JSON.stringify(this.dialogue());
        return new Promise((resolve, reject) => {
            const timeout = GLib.timeout_add(GLib.PRIORITY_DEFAULT, timeoutMs, () => {
                reject(new Error(`no suggestions for ${key} after ${timeoutMs} ms`));
                return GLib.SOURCE_REMOVE;
            });
            const waiter = shown => {
                if (shown === key) {
                    GLib.source_remove(timeout);
                    resolve();
                } else {
                    this._waiters.push(waiter);
                }
            };
            if (this.shownKey === key)
                waiter(key);
            else
                this._waiters.push(waiter);
        });
    }
}

const sleep = ms => new Promise(resolve => GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
    resolve();
    return GLib.SOURCE_REMOVE;
}));

const nextFrame = widget => new Promise(resolve => widget.add_tick_callback(() => {
    resolve();
    return GLib.SOURCE_REMOVE;
}));

function assert(cond, message) {
    if (!cond)
        throw new Error(message);
}

/* --self-test: what a user does, checked; TAP on stdout; the exit status */
async function selfTest(chat) {
    const results = [];
    const check = async (name, fn) => {
        try {
            await fn();
            results.push([true, name, '']);
        } catch (e) {
            results.push([false, name, String(e.message ?? e).replace(/\s+/g, ' ')]);
        }
    };
    await check('the model and the library load', async () => {
        await chat.ready;
        const t = chat.loadTimes;
        print(`# library ${t.fromCache ? 'from the cache' : 'embedded'} in ` +
            `${t.library.toFixed(0)} ms; warm-up select ${t.warmUp.toFixed(0)} ms`);
    });
    if (!results[0][0]) {
        // nothing else can work; say so now rather than time out
        print(`1..1\nnot ok 1 - the model and the library load # ${results[0][2]}`);
        return 1;
    }
    const dialogues = [
        ['今天加班好累，谢谢你的关心，真开心', true],
        ['Thank you so much, I am so happy today!', false],
    ];
    for (const [text, chinese] of dialogues) {
        // eslint-disable-next-line no-await-in-loop
        await check(`typing "${text}" shows stickers with scores and the emotion`, async () => {
            assert(chat.ranker !== null && chat.loadTimes, 'not loaded');
            chat.entry.grab_focus();
            for (let i = 1; i <= text.length; i++) {
                chat.entry.set_text(text.slice(0, i));
                // eslint-disable-next-line no-await-in-loop
                await sleep(15);
            }
            await chat.waitForSuggestions(60000);
            await nextFrame(chat.window);
            await nextFrame(chat.window);
            assert(chat.suggestions.length === TOP_K,
                `${chat.suggestions.length} suggestions, not ${TOP_K}`);
            let shown = 0;
            for (let c = chat.flow.get_first_child(); c !== null; c = c.get_next_sibling())
                shown += c.get_mapped() ? 1 : 0;
            assert(shown === TOP_K, `${shown} suggestions on screen`);
            for (const s of chat.suggestions) {
                assert(s.score >= 0 && s.score <= 1, `${s.id}: score ${s.score}`);
                assert(s.label === chat.library.get_label(s.index, chinese ? 'zh' : 'en'),
                    `${s.id}: label ${s.label} is not the ${chinese ? 'Chinese' : 'English'} one`);
            }
            // best first: the stickers whose words match the dialogue's, by
            // their lexical rank, then the others by score
            const words = chat.suggestions.map(s => s.words);
            const matched = words.filter(w => w > 0);
            assert(words.every((w, k) => k < matched.length ? w > 0 : w === 0),
                `matches not first: ${words}`);
            for (let k = 1; k < chat.suggestions.length; k++) {
                const [a, b] = [chat.suggestions[k - 1], chat.suggestions[k]];
                assert(b.words > 0 ? b.words > a.words : a.words > 0 || b.score <= a.score,
                    `not best first: ${words} / ${chat.suggestions.map(s => s.score)}`);
            }
            assert(chat.suggestionsHeader.label.startsWith('Emotion: ') &&
                chat.suggestionsHeader.label.includes(chat.emotionLabel), chat.suggestionsHeader.label);
            print(`# ${chat.suggestionsHeader.label} | ` +
                chat.suggestions.slice(0, 3).map(s => `${s.id} ${s.score.toFixed(3)}`).join(', '));
        });
    }
    await check('clicking a sticker sends the draft and the sticker', async () => {
        assert(chat.suggestions.length > 0, 'no suggestion to click');
        const draft = chat.entry.get_text();
        const before = chat.transcript.length;
        const picked = chat.suggestions[2] ?? chat.suggestions[0];
        picked.button.emit('clicked');
        const last = chat.transcript.slice(before);
        assert(last.length === 2 && last[0].kind === 'text' && last[0].text === draft,
            `transcript ends ${JSON.stringify(last)}`);
        assert(last[1].kind === 'sticker' && last[1].id === picked.id,
            `the sticker sent is ${JSON.stringify(last[1])}, not ${picked.id}`);
        assert(chat.entry.get_text() === '', 'the draft was not cleared');
        let rows = 0;
        while (chat.transcriptList.get_row_at_index(rows) !== null)
            rows++;
        assert(rows === chat.transcript.length, `${rows} rows for ${chat.transcript.length}`);
        await sleep(DEBOUNCE_MS * 2);
        assert(chat.suggestions.length === 0, 'suggestions left for an empty draft');
    });
    // the state a user sees: the transcript and live suggestions for a draft
    await check('a screenshot of the window', async () => {
        chat.entry.set_text('周末一起去喝奶茶吧');
        await chat.waitForSuggestions(60000);
        for (let i = 0; i < 3; i++)
            // eslint-disable-next-line no-await-in-loop
            await nextFrame(chat.window);
        if (!chat.options.screenshot)
            return;
        saveScreenshot(chat.window, chat.options.screenshot);
        const info = Gio.File.new_for_path(chat.options.screenshot)
            .query_info('standard::size', Gio.FileQueryInfoFlags.NONE, null);
        assert(info.get_size() > 10000, `${info.get_size()} bytes`);
        print(`# screenshot: ${chat.options.screenshot}`);
    });
    if (chat.latencies.length > 0) {
        const sorted = [...chat.latencies].sort((a, b) => a - b);
        print(`# select_async latency over ${sorted.length} requests: median ` +
            `${sorted[sorted.length >> 1].toFixed(0)} ms, max ${sorted[sorted.length - 1].toFixed(0)} ms`);
    }
    print(`1..${results.length}`);
    results.forEach(([ok, name, why], i) =>
        print(`${ok ? 'ok' : 'not ok'} ${i + 1} - ${name}${ok ? '' : ` # ${why}`}`));
    return results.every(r => r[0]) ? 0 : 1;
}

const options = parseArgs(ARGV);
const app = new Gtk.Application({application_id: 'org.eigml.Chat',
    flags: Gio.ApplicationFlags.NON_UNIQUE});
let status = 0;
app.connect('activate', () => {
    const chat = new ChatWindow(app, options);
    chat.window.present();
    chat.entry.grab_focus();
    // after the first frame, so the window shows while the model loads
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, 50, () => {
        chat.load();
        return GLib.SOURCE_REMOVE;
    });
    if (options.selfTest) {
        app.hold();
        GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, SELF_TEST_TIMEOUT_S, () => {
            print(`1..1\nnot ok 1 - the self-test finished in ${SELF_TEST_TIMEOUT_S} s`);
            status = 1;
            app.quit();
            return GLib.SOURCE_REMOVE;
        });
        chat.ready.catch(() => {});
        selfTest(chat).then(s => {
            status = s;
        }, e => {
            print(`1..1\nnot ok 1 - self-test # ${e}`);
            status = 1;
        }).finally(() => app.quit());
    }
});
const runStatus = app.run([System.programInvocationName]);
System.exit(status || runStatus);
