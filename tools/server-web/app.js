// The sticker chat page of eigml-server (docs/web.md).
//
// The transcript's last turns, plus the message being typed, are the
// dialogue: POST /v1/select ranks the library for it and the best stickers
// are shown with their scores, the dialogue's emotion and its intent.
// Clicking a sticker sends it into the transcript; a sticker turn is sent
// back to the server as its label. No framework, no build step: the file
// is served as it is from the server's GResources.

const MAX_TURNS = 10;        // the dialogue the server sees: the last 10 turns
const TOP_K = 8;
const DEBOUNCE_MS = 250;

// EigmlEmotion order (docs/emotion.md): the distribution's 7 entries.
const EMOTIONS = [
  ['好', 'good'], ['乐', 'joy'], ['哀', 'sadness'], ['怒', 'anger'],
  ['惧', 'fear'], ['恶', 'disgust'], ['惊', 'surprise'],
];

const INTENT_RELATIONS = [
  ['xIntent', 'Why they say it'],
  ['xNeed', 'What came before'],
  ['xWant', 'What they want next'],
  ['xEffect', 'What it does to them'],
];

const $ = (id) => document.getElementById(id);

const ui = {
  health: $('health'),
  transcript: $('transcript'),
  transcriptEmpty: $('transcript-empty'),
  composer: $('composer'),
  input: $('composer-input'),
  clear: $('clear-button'),
  error: $('error'),
  status: $('status'),
  analysis: $('analysis'),
  emotionLabel: $('emotion-label'),
  emotionName: $('emotion-name'),
  emotionDistribution: $('emotion-distribution'),
  intent: $('intent'),
  stickers: $('stickers'),
  stickerTemplate: $('sticker-template'),
};

const state = {
  messages: [],          // {speaker, kind: 'text'|'sticker', text, lang, id?}
  composing: false,      // an IME composition is open in the input box
  timer: 0,
  seq: 0,                // the newest /v1/select request; older replies are dropped
  controller: null,
  stickerInfo: new Map(),  // id -> Promise of GET /v1/stickers/{id}
};

// ---- text and language -------------------------------------------------

const HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]/u;
const LATIN = /[A-Za-z]/;

/** The lang attribute for a piece of user text: 'zh' when it has Chinese
 * characters, 'en' when it has Latin letters, '' (inherit) otherwise. */
function langOf(text) {
  if (HAN.test(text)) return 'zh';
  if (LATIN.test(text)) return 'en';
  return '';
}

function setLang(element, lang) {
  if (lang) element.lang = lang;
  else element.removeAttribute('lang');
}

/** The language the conversation is in now: that of its newest text. */
function conversationLang(turns) {
  for (let i = turns.length - 1; i >= 0; i--) {
    const lang = langOf(turns[i].text);
    if (lang) return lang;
  }
  return 'en';
}

function stickerLabel(info, lang) {
  if (!info) return '';
  const zh = info.label_zh || '';
  const en = info.label_en || '';
  return (lang === 'zh' ? zh || en : en || zh) || String(info.id ?? '');
}

function formatScore(value, digits = 3) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—';
}

// ---- the server --------------------------------------------------------

class ApiError extends Error {
  constructor(message, { status = 0, code = '', field = '' } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** fetch + JSON; a non-2xx reply becomes an ApiError with the server's
 * {"error": {"code", "message", "field"}} when it sent one. */
async function api(path, { body, signal } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? { Accept: 'application/json' }
                                  : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(`Cannot reach the server (${err.message})`);
  }
  let payload = null;
  const text = await response.text();
  if (text) {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = null;
    }
  }
  if (!response.ok) {
    const e = payload && typeof payload.error === 'object' && payload.error ? payload.error : null;
    const message = e && e.message ? e.message
      : `HTTP ${response.status} ${response.statusText}`.trim();
    throw new ApiError(message, {
      status: response.status,
      code: e && e.code ? String(e.code) : '',
      field: e && e.field ? String(e.field) : '',
    });
  }
  if (payload === null) {
    throw new ApiError(`The server sent a reply that is not JSON for ${path}`,
                       { status: response.status });
  }
  return payload;
}

function stickerImageUrl(id) {
  return `/v1/stickers/${encodeURIComponent(id)}/image`;
}

/** The sticker's record, fetched once; null when the server has none. */
function stickerInfo(id) {
  let promise = state.stickerInfo.get(id);
  if (!promise) {
    promise = api(`/v1/stickers/${encodeURIComponent(id)}`).catch(() => {
      state.stickerInfo.delete(id);   // try again next time
      return null;
    });
    state.stickerInfo.set(id, promise);
  }
  return promise;
}

// ---- errors and status -------------------------------------------------

function showError(err) {
  ui.error.textContent = '';
  const title = document.createElement('strong');
  title.textContent = 'The server could not rank the stickers: ';
  const message = document.createElement('span');
  message.dataset.testid = 'error-message';
  message.textContent = err.message;
  ui.error.append(title, message);
  const code = err.code && err.code !== String(err.status) ? err.code : '';
  const details = [err.status ? `HTTP ${err.status}` : '', code, err.field && `field ${err.field}`]
    .filter(Boolean);
  if (details.length) {
    const small = document.createElement('small');
    small.textContent = ` (${details.join(', ')})`;
    ui.error.append(small);
  }
  ui.error.hidden = false;
  setSelectState('error');
}

function clearError() {
  ui.error.hidden = true;
  ui.error.textContent = '';
}

function setSelectState(value) {
  document.body.dataset.selectState = value;
  ui.stickers.setAttribute('aria-busy', String(value === 'loading'));
}

// ---- the dialogue ------------------------------------------------------

function currentSpeaker() {
  const checked = ui.composer.querySelector('input[name="speaker"]:checked');
  return checked ? checked.value : 'user';
}

/** The turns sent to the server: the transcript and the draft, the last 10. */
function dialogue() {
  const turns = state.messages.map((m) => ({ speaker: m.speaker, text: m.text }));
  const draft = ui.input.value.trim();
  if (draft) turns.push({ speaker: currentSpeaker(), text: draft });
  return turns.slice(-MAX_TURNS);
}

function scheduleSelect(delay = DEBOUNCE_MS) {
  clearTimeout(state.timer);
  state.timer = setTimeout(() => { state.timer = 0; select(); }, delay);
}

async function select() {
  if (state.composing) return;
  const turns = dialogue();
  state.controller?.abort();
  const seq = ++state.seq;
  if (turns.length === 0) {
    state.controller = null;
    clearError();
    renderEmpty();
    return;
  }
  const controller = new AbortController();
  state.controller = controller;
  setSelectState('loading');
  ui.status.textContent = 'Ranking the stickers…';
  try {
    const reply = await api('/v1/select', {
      body: { dialogue: turns, top_k: TOP_K },
      signal: controller.signal,
    });
    const lang = conversationLang(turns);
    const results = Array.isArray(reply.results) ? reply.results : [];
    // The server sends each result's sticker record; fetch it only if not.
    const infos = await Promise.all(results.map((r) =>
      r.sticker && typeof r.sticker === 'object' ? r.sticker : stickerInfo(r.sticker_id)));
    if (seq !== state.seq) return;
    clearError();
    renderSelection(reply, results, infos, lang, turns.length, turns.at(-1).text);
    setSelectState('ready');
  } catch (err) {
    if (err.name === 'AbortError' || seq !== state.seq) return;
    ui.status.textContent = ui.stickers.childElementCount
      ? 'The request failed: the stickers below are for the previous dialogue.'
      : 'No stickers: the request failed.';
    showError(err);
  }
}

// ---- rendering ---------------------------------------------------------

function renderEmpty() {
  ui.stickers.replaceChildren();
  delete ui.stickers.dataset.lastTurn;
  ui.analysis.hidden = true;
  ui.status.textContent = 'No dialogue yet.';
  setSelectState('idle');
}

function renderSelection(reply, results, infos, lang, nturns, lastTurn) {
  renderEmotion(reply.emotion);
  renderIntent(reply.intent);
  ui.analysis.hidden = false;

  const items = results.map((result, i) => renderSticker(result, infos[i], lang, i + 1));
  ui.stickers.replaceChildren(...items);
  // Which dialogue these stickers are for: its newest turn (tests wait on it).
  ui.stickers.dataset.lastTurn = lastTurn;

  const took = typeof reply.took_ms === 'number' ? ` in ${Math.round(reply.took_ms)} ms` : '';
  const turns = nturns === 1 ? '1 turn' : `${nturns} turns`;
  ui.status.textContent = results.length
    ? `The ${results.length} best stickers for the last ${turns}${took}. Click one to send it.`
    : `No sticker fits the last ${turns}.`;
}

function renderSticker(result, info, lang, rank) {
  const item = ui.stickerTemplate.content.firstElementChild.cloneNode(true);
  const button = item.querySelector('button');
  const img = item.querySelector('img');
  const labelEl = item.querySelector('.sticker-label');
  const scoreEl = item.querySelector('.sticker-score');
  const partsEl = item.querySelector('.sticker-parts');

  const id = String(result.sticker_id);
  const label = stickerLabel(info, lang) || `sticker ${id}`;
  const labelLang = info ? langOf(label) : '';

  button.dataset.stickerId = id;
  button.dataset.rank = String(rank);
  button.dataset.score = String(result.score);
  button.setAttribute('aria-label',
    `Send sticker ${rank}: ${label}, score ${formatScore(result.score)}`);

  img.src = stickerImageUrl(id);
  img.alt = label;
  setLang(img, labelLang);

  labelEl.textContent = label;
  setLang(labelEl, labelLang);
  scoreEl.textContent = formatScore(result.score);
  scoreEl.title = 'Score: how well the sticker fits as the next reply';
  // The score's parts (docs/model.md): emotion and intent agreement, and
  // the image–text match; the server sends null for a part the model lacks.
  const parts = [
    ['emotion', result.s_emo, 'Emotion agreement (s_emo)'],
    ['intent', result.s_int, 'Intent agreement (s_int)'],
    ['match', result.p_vl, 'Image–dialogue match (p_vl)'],
  ].map(([name, value, title]) => {
    const span = document.createElement('span');
    span.textContent = `${name} ${formatScore(value, 2)}`;
    span.title = title;
    return span;
  });
  // The stickers whose labels or keywords match the dialogue's words come
  // first (docs/server.md): say when it matched.
  if (Number.isInteger(result.lexical_rank) && result.lexical_rank > 0) {
    const words = document.createElement('span');
    words.className = 'sticker-words';
    words.dataset.testid = 'sticker-words';
    words.textContent = `words #${result.lexical_rank}`;
    words.title = 'Its label or keywords match the dialogue\u2019s words ' +
      `(#${result.lexical_rank} of the matches); matches come first`;
    parts.push(words);
  }
  partsEl.replaceChildren(...parts);

  if (info && info.emotion) {
    const tag = document.createElement('span');
    tag.className = 'sticker-emotion';
    tag.lang = 'zh';
    tag.textContent = info.emotion;
    tag.title = 'The sticker\u2019s emotion';
    button.append(tag);
  }

  button.addEventListener('click', () => sendSticker(id, label, labelLang));
  return item;
}

/** The distribution's value for EMOTIONS[i]: the server sends an object
 * keyed by category (好, 乐, …), or an array in EMOTIONS order. */
function distributionValue(dist, i) {
  if (!dist || typeof dist !== 'object') return 0;
  const [zh, en] = EMOTIONS[i];
  const value = Array.isArray(dist) ? dist[i] : dist[zh] ?? dist[en];
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function renderEmotion(emotion) {
  // null (no lexicon word matched) and "none" both mean no emotion
  const label = emotion && typeof emotion.label === 'string' && emotion.label ? emotion.label : 'none';
  const known = EMOTIONS.find(([zh]) => zh === label);
  ui.emotionLabel.textContent = label === 'none' ? 'none' : label;
  setLang(ui.emotionLabel, known ? 'zh' : 'en');
  ui.emotionLabel.dataset.emotion = label;
  ui.emotionName.textContent = known ? `(${known[1]})` : '(no emotion word found)';

  const dist = emotion ? emotion.distribution : null;
  const rows = EMOTIONS.map(([zh, en], i) => {
    const value = distributionValue(dist, i);
    const li = document.createElement('li');
    li.className = zh === label ? 'current' : '';
    const name = document.createElement('span');
    name.className = 'emotion-row-name';
    const zhEl = document.createElement('span');
    zhEl.lang = 'zh';
    zhEl.textContent = zh;
    name.append(zhEl, ` ${en}`);
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.setAttribute('aria-hidden', 'true');
    const fill = document.createElement('span');
    fill.style.width = `${Math.max(0, Math.min(1, value)) * 100}%`;
    bar.append(fill);
    const pct = document.createElement('span');
    pct.className = 'pct';
    pct.textContent = `${Math.round(value * 100)}%`;
    li.append(name, bar, pct);
    return li;
  });
  ui.emotionDistribution.replaceChildren(...rows);
}

function renderIntent(intent) {
  const nodes = [];
  for (const [key, title] of INTENT_RELATIONS) {
    const values = intent && Array.isArray(intent[key]) ? intent[key].filter((v) => typeof v === 'string' && v) : [];
    if (!values.length) continue;
    const dt = document.createElement('dt');
    dt.textContent = title;
    dt.title = key;
    const dd = document.createElement('dd');
    dd.dataset.relation = key;
    values.forEach((value, i) => {
      const span = document.createElement('span');
      setLang(span, langOf(value));
      span.textContent = value;
      if (i) dd.append('; ');
      dd.append(span);
    });
    nodes.push(dt, dd);
  }
  if (!nodes.length) {
    const dd = document.createElement('dd');
    dd.className = 'muted';
    dd.textContent = 'No intent found.';
    nodes.push(dd);
  }
  ui.intent.replaceChildren(...nodes);
}

function renderTranscript() {
  const first = Math.max(0, state.messages.length - MAX_TURNS);
  const items = state.messages.map((m, i) => {
    const li = document.createElement('li');
    li.className = `message from-${m.speaker}` + (i < first ? ' out-of-context' : '');
    li.dataset.testid = 'message';
    li.dataset.speaker = m.speaker;
    li.dataset.kind = m.kind;
    if (i < first) li.title = 'Older than the last 10 turns: not sent to the server';

    const who = document.createElement('span');
    who.className = 'visually-hidden';
    who.textContent = m.speaker === 'user' ? 'Me: ' : 'The other person: ';
    li.append(who);

    if (m.kind === 'sticker') {
      const figure = document.createElement('figure');
      figure.className = 'message-sticker';
      const img = document.createElement('img');
      img.src = stickerImageUrl(m.id);
      img.alt = m.text;
      img.width = 112;
      img.height = 112;
      setLang(img, m.lang);
      img.dataset.testid = 'message-sticker';
      img.dataset.stickerId = m.id;
      const caption = document.createElement('figcaption');
      caption.textContent = m.text;
      setLang(caption, m.lang);
      figure.append(img, caption);
      li.append(figure);
    } else {
      const p = document.createElement('p');
      p.className = 'message-text';
      p.dataset.testid = 'message-text';
      p.textContent = m.text;
      setLang(p, m.lang);
      li.append(p);
    }
    return li;
  });
  ui.transcript.replaceChildren(...items);
  ui.transcriptEmpty.hidden = state.messages.length > 0;
  ui.transcript.scrollTop = ui.transcript.scrollHeight;   // the newest turn in view
}

// ---- actions -----------------------------------------------------------

function sendText() {
  const text = ui.input.value.trim();
  if (!text) return;
  state.messages.push({ speaker: currentSpeaker(), kind: 'text', text, lang: langOf(text) });
  ui.input.value = '';
  renderTranscript();
  clearTimeout(state.timer);
  select();
  ui.input.focus();
}

function sendSticker(id, label, lang) {
  // The draft stays in the box, as in chat apps: the sticker goes on its own.
  state.messages.push({ speaker: currentSpeaker(), kind: 'sticker', id, text: label, lang });
  renderTranscript();
  clearTimeout(state.timer);
  select();
}

function clearChat() {
  state.messages = [];
  renderTranscript();
  clearTimeout(state.timer);
  select();
  ui.input.focus();
}

// ---- input: debounced, quiet while an IME composes --------------------

ui.input.addEventListener('compositionstart', () => {
  state.composing = true;
  clearTimeout(state.timer);
});
ui.input.addEventListener('compositionend', () => {
  state.composing = false;
  scheduleSelect();
});
ui.input.addEventListener('input', (event) => {
  if (event.isComposing || state.composing) return;
  scheduleSelect();
});
ui.input.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' || event.shiftKey) return;
  // Enter that confirms an IME candidate is not "send" (229: Safari's
  // keydown right after compositionend).
  if (event.isComposing || state.composing || event.keyCode === 229) return;
  event.preventDefault();
  sendText();
});
ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  sendText();
});
ui.composer.addEventListener('change', (event) => {
  if (event.target.name === 'speaker' && ui.input.value.trim()) scheduleSelect(0);
});
ui.clear.addEventListener('click', clearChat);

// Arrow keys move between the suggested stickers (a grid of buttons).
ui.stickers.addEventListener('keydown', (event) => {
  const keys = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, Home: -Infinity, End: Infinity };
  if (!(event.key in keys)) return;
  const buttons = [...ui.stickers.querySelectorAll('button.sticker')];
  const at = buttons.indexOf(document.activeElement);
  if (at < 0) return;
  const step = keys[event.key];
  const next = step === -Infinity ? 0 : step === Infinity ? buttons.length - 1
    : Math.max(0, Math.min(buttons.length - 1, at + step));
  buttons[next].focus();
  event.preventDefault();
});

// ---- start -------------------------------------------------------------

async function loadHealth() {
  try {
    const h = await api('/v1/health');
    const parts = [
      h.model && `model ${h.model}`,
      h.backend && `${h.backend}${h.device ? ` (${h.device})` : ''}`,
      typeof h.library_size === 'number' && `${h.library_size.toLocaleString('en')} stickers`,
      h.version && `eigml ${h.version}`,
    ].filter(Boolean);
    ui.health.textContent = parts.join(' · ');
    ui.health.classList.remove('health-error');
    document.body.dataset.health = 'ok';
  } catch (err) {
    ui.health.textContent = `Server not ready: ${err.message}`;
    ui.health.classList.add('health-error');
    document.body.dataset.health = 'error';
  }
}

setSelectState('idle');
renderTranscript();
loadHealth();
