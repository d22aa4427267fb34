// The web page of eigml-server in a real browser (meson suite 'browser').
//
// Starts build/tools/eigml-server --port 0 on the committed default model
// and the demo library, opens its page in Debian's headless Chromium
// (playwright-core, pinned in package-lock.json) and checks what a user
// sees: Chinese typed through an IME (no request while composing), English
// typed key by key (debounced), the best stickers with their labels, scores
// and the dialogue's emotion, a sticker sent by keyboard into the transcript
// (and its label sent back as that turn's text), the server's JSON error
// shown, a phone-sized layout. Prints TAP; keeps screenshots under
// BUILD_FOLDER/browser/. The server is killed on every way out.
//   node test-page.mjs EIGML_SERVER SOURCE_ROOT BUILD_FOLDER NODE_MODULES

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

const [serverPath, sourceRoot, buildDir, nodeModules] = process.argv.slice(2);
if (!nodeModules) {
  console.log('Bail out! usage: test-page.mjs EIGML_SERVER SOURCE_ROOT BUILD_FOLDER NODE_MODULES');
  process.exit(1);
}

const CHROMIUM = process.env.EIGML_CHROMIUM || '/usr/bin/chromium';
const MODEL = path.join(sourceRoot, 'data', 'default-model');
const LIBRARY = path.join(sourceRoot, 'data', 'demo', 'library.jsonl');
const ARTIFACTS = path.join(buildDir, 'browser');
// The server loads the model and embeds the whole library before it listens.
const SERVER_START_MS = 600_000;
// One ranking on a busy 2-core machine.
const SELECT_MS = 120_000;

// ---- TAP ---------------------------------------------------------------

let count = 0;
let failed = 0;
console.log('TAP version 13');

function ok(condition, description, diagnostic) {
  count++;
  if (condition) {
    console.log(`ok ${count} - ${description}`);
  } else {
    failed++;
    console.log(`not ok ${count} - ${description}`);
    if (diagnostic !== undefined) {
      const text = typeof diagnostic === 'string' ? diagnostic : JSON.stringify(diagnostic, null, 2);
      for (const line of text.split('\n')) console.log(`  # ${line}`);
    }
  }
  return condition;
}

function equal(actual, expected, description) {
  const same = JSON.stringify(actual) === JSON.stringify(expected);
  return ok(same, description, same ? undefined : { expected, actual });
}

function note(text) {
  for (const line of String(text).split('\n')) console.log(`# ${line}`);
}

// ---- the server: started here, killed on every way out ----------------

let server = null;
const serverLog = [];

function killServer() {
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGKILL');
  }
}
process.on('exit', killServer);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.log(`Bail out! killed by ${signal}`);
    killServer();
    process.exit(1);
  });
}

function bailOut(message) {
  console.log(`Bail out! ${message}`);
  if (serverLog.length) note(`eigml-server's output (last lines):\n${serverLog.slice(-30).join('\n')}`);
  killServer();
  process.exit(1);
}

function startServer() {
  return new Promise((resolve, reject) => {
    const args = ['--port', '0', '--model', MODEL, '--library', LIBRARY];
    note(`starting ${serverPath} ${args.join(' ')}`);
    server = spawn(serverPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => reject(new Error(
      `eigml-server printed no 'listening on' line within ${SERVER_START_MS / 1000} s`)), SERVER_START_MS);
    let first = true;
    readline.createInterface({ input: server.stdout }).on('line', (line) => {
      serverLog.push(line);
      if (!first) return;
      first = false;
      clearTimeout(timer);
      const match = line.match(/^eigml-server: listening on (http:\/\/127\.0\.0\.1:\d+\/)\s*$/);
      if (match) resolve(match[1]);
      else reject(new Error(`eigml-server's first line is not 'eigml-server: listening on http://127.0.0.1:PORT/': ${JSON.stringify(line)}`));
    });
    readline.createInterface({ input: server.stderr }).on('line', (line) => serverLog.push(line));
    server.on('error', (err) => { clearTimeout(timer); reject(err); });
    server.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`eigml-server exited before listening (${signal || `status ${code}`})`));
    });
  });
}

async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return null;
  const exited = new Promise((resolve) => server.once('exit', (code, signal) => resolve({ code, signal })));
  server.kill('SIGTERM');
  const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 10_000));
  const result = await Promise.race([exited, timeout]);
  killServer();
  return result;
}

// ---- preconditions: fail with a clear message, never skip -------------

if (!fs.existsSync(serverPath)) {
  bailOut(`${serverPath} does not exist: build eigml-server first (ninja -C build)`);
}
if (!fs.existsSync(path.join(MODEL, 'config.json'))) {
  bailOut(`the default model is missing: ${MODEL}/config.json`);
}
if (!fs.existsSync(LIBRARY)) {
  bailOut(`${LIBRARY} is missing: the demo data is built by the 'data' suite ` +
          `(meson test -C build --suite data, or tools/demo-data); run it before 'browser'`);
}

const library = new Map(fs.readFileSync(LIBRARY, 'utf8').split('\n').filter(Boolean)
  .map((line) => JSON.parse(line)).map((s) => [String(s.id), s]));

let chromium;
try {
  ({ chromium } = createRequire(path.join(nodeModules, 'noop.js'))('playwright-core'));
} catch (err) {
  bailOut(`cannot load playwright-core from ${nodeModules}: ${err.message}`);
}

fs.mkdirSync(ARTIFACTS, { recursive: true });

// ---- helpers on the page ----------------------------------------------

/** The /v1/select requests the page makes, with their bodies. */
function recordSelects(page) {
  const selects = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/v1/select') {
      let body = null;
      try { body = request.postDataJSON(); } catch { body = request.postData(); }
      selects.push(body);
    }
  });
  return selects;
}

/** Waits for the page to show a selection for a dialogue whose last turn
 * is `text` (or any, when null), and returns what it shows. */
async function waitForStickers(page, text) {
  await page.waitForFunction((lastText) => {
    if (document.body.dataset.selectState !== 'ready') return false;
    return document.querySelectorAll('[data-testid="sticker"]').length > 0 &&
      (lastText === null ||
       document.querySelector('[data-testid="stickers"]').dataset.lastTurn === lastText);
  }, text, { timeout: SELECT_MS, polling: 100 });
  return page.evaluate(() => ({
    stickers: [...document.querySelectorAll('[data-testid="sticker"]')].map((b) => {
      const img = b.querySelector('img');
      return {
        id: b.dataset.stickerId,
        score: Number(b.dataset.score),
        scoreText: b.querySelector('[data-testid="sticker-score"]').textContent,
        label: b.querySelector('[data-testid="sticker-label"]').textContent,
        alt: img.alt,
        imgLang: img.lang,
        src: new URL(img.src).pathname,
        tag: b.tagName,
        name: b.getAttribute('aria-label'),
        words: b.querySelector('[data-testid="sticker-words"]')?.textContent ?? null,
      };
    }),
    emotion: document.querySelector('[data-testid="emotion-label"]').textContent,
    emotionRows: document.querySelectorAll('[data-testid="emotion-distribution"] li').length,
    status: document.querySelector('[data-testid="status"]').textContent,
    errorHidden: document.querySelector('[data-testid="error"]').hidden,
  }));
}

async function transcript(page) {
  return page.$$eval('[data-testid="message"]', (items) => items.map((li) => ({
    speaker: li.dataset.speaker,
    kind: li.dataset.kind,
    text: li.querySelector('[data-testid="message-text"]')?.textContent ?? null,
    lang: li.querySelector('[data-testid="message-text"], img')?.lang ?? null,
    stickerId: li.querySelector('img')?.dataset.stickerId ?? null,
    alt: li.querySelector('img')?.alt ?? null,
  })));
}

/** The sticker ids the server itself answers for a /v1/select body (the
 * server is deterministic: the page must show them in this order). */
async function serverOrder(url, body) {
  const r = await fetch(new URL('v1/select', url), {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  const answer = await r.json().catch(() => null);
  return answer && Array.isArray(answer.results)
    ? answer.results.map((x) => ({ id: String(x.sticker_id), lexicalRank: x.lexical_rank }))
    : null;
}

function checkStickers(shown, lang, what, order) {
  const { stickers } = shown;
  ok(stickers.length >= 1 && stickers.length <= 8, `${what}: 1 to 8 stickers shown`, { count: stickers.length });
  const unknown = stickers.filter((s) => !library.has(s.id));
  ok(unknown.length === 0, `${what}: every sticker is in the library`, unknown);
  const badLabels = stickers.filter((s) => {
    const entry = library.get(s.id);
    if (!entry) return true;
    const want = lang === 'zh' ? entry.label.zh || entry.label.en : entry.label.en || entry.label.zh;
    return s.alt !== want || s.label !== want;
  });
  ok(badLabels.length === 0, `${what}: alt text and caption are the sticker's ${lang} label`,
     badLabels.map((s) => ({ id: s.id, alt: s.alt, label: s.label, library: library.get(s.id)?.label })));
  ok(stickers.every((s) => s.tag === 'BUTTON' && s.name && s.name.includes(s.alt)),
     `${what}: every sticker is a button named by its label`);
  ok(stickers.every((s) => s.src === `/v1/stickers/${encodeURIComponent(s.id)}/image`),
     `${what}: images come from /v1/stickers/{id}/image`);
  ok(stickers.every((s) => Number.isFinite(s.score) && s.scoreText === s.score.toFixed(3)),
     `${what}: every sticker shows its score`, stickers.map((s) => [s.score, s.scoreText]));
  // best first is the server's order (the lexical match first, then the
  // model's score, docs/server.md), not necessarily by score
  equal(stickers.map((s) => s.id), order ? order.slice(0, stickers.length).map((x) => x.id) : null,
        `${what}: best first, in the server's order`);
  equal(stickers.map((s) => s.words),
        order ? order.slice(0, stickers.length).map((x) => (x.lexicalRank ? `words #${x.lexicalRank}` : null)) : null,
        `${what}: the stickers whose words match the dialogue's say so, with their lexical rank`);
  const emotions = ['好', '乐', '哀', '怒', '惧', '恶', '惊', 'none'];
  ok(emotions.includes(shown.emotion), `${what}: the dialogue's emotion is shown`, { emotion: shown.emotion });
  equal(shown.emotionRows, 7, `${what}: the emotion distribution has 7 rows`);
  ok(shown.errorHidden, `${what}: no error shown`);
}

// ---- the test ----------------------------------------------------------

let browser = null;
try {
  let url;
  try {
    url = await startServer();
  } catch (err) {
    bailOut(err.message);
  }
  note(`eigml-server at ${url}`);

  const healthReply = await fetch(new URL('v1/health', url));
  const health = await healthReply.json();
  ok(healthReply.ok && typeof health.library_size === 'number',
     'GET /v1/health answers', health);

  const launchArgs = ['--disable-dev-shm-usage', '--disable-gpu'];
  if (process.getuid && process.getuid() === 0) launchArgs.push('--no-sandbox');   // CI runs as root
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: launchArgs });
  note(`Chromium ${browser.version()}`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  const badResponses = [];
  page.on('response', (response) => {
    if (response.status() >= 400) badResponses.push(`${response.status()} ${response.url()}`);
  });
  const selects = recordSelects(page);

  // -- the page loads from the server's resources
  const main = await page.goto(url, { waitUntil: 'load' });
  equal(main.status(), 200, 'GET / answers 200');
  ok((main.headers()['content-type'] || '').startsWith('text/html'), 'GET / is HTML',
     main.headers()['content-type']);
  ok((await page.title()).includes('Eigml'), 'the page has its title');
  await page.waitForFunction(() => document.body.dataset.health === 'ok', null, { timeout: 30_000 });
  const healthText = await page.textContent('[data-testid="health"]');
  ok(healthText.includes(health.library_size.toLocaleString('en')),
     'the header shows the library size from /v1/health', healthText);

  // -- Chinese through an IME: nothing is sent while composing
  await page.check('[data-testid="speaker-other"]');
  const input = page.locator('[data-testid="composer-input"]');
  await input.focus();
  const cdp = await context.newCDPSession(page);
  const before = selects.length;
  for (const pinyin of ['jin', 'jintian', 'jintianjiaban']) {
    await cdp.send('Input.imeSetComposition', { text: pinyin, selectionStart: pinyin.length, selectionEnd: pinyin.length });
    await page.waitForTimeout(120);
  }
  await page.waitForTimeout(700);   // well past the 250 ms debounce
  equal(selects.length - before, 0, 'no /v1/select while the IME composes');
  const chinese = '今天加班好累，老板又批评我了';
  await cdp.send('Input.insertText', { text: chinese });   // commits the composition
  equal(await input.inputValue(), chinese, 'the composed Chinese text is in the input box');

  const zhShown = await waitForStickers(page, chinese);
  const zhSelect = selects.at(-1);
  equal(zhSelect, { dialogue: [{ speaker: 'other', text: chinese }], top_k: 8 },
        'the Chinese draft is sent as the dialogue\'s turn');
  equal(selects.length - before, 1, 'one /v1/select once the composition ends');
  checkStickers(zhShown, 'zh', 'Chinese', await serverOrder(url, zhSelect));
  const firstImageLoaded = await page.$eval('[data-testid="sticker"] img',
    (img) => img.decode().then(() => img.naturalWidth > 0, () => false));
  ok(firstImageLoaded, 'the first sticker image loads');
  await input.press('Enter');
  let messages = await transcript(page);
  equal(messages, [{ speaker: 'other', kind: 'text', text: chinese, lang: 'zh', stickerId: null, alt: null }],
        'Enter sends the Chinese message into the transcript (lang zh)');
  equal(await input.inputValue(), '', 'the input box is empty after sending');

  // -- English typed key by key: debounced
  await page.check('[data-testid="speaker-user"]');
  await input.focus();
  await page.waitForTimeout(600);    // let the refresh after sending settle
  const english = 'Oh no, that sounds awful. Hang in there!';
  const beforeTyping = selects.length;
  await input.pressSequentially(english, { delay: 15 });
  const enShown = await waitForStickers(page, english);
  const typed = selects.length - beforeTyping;
  ok(typed >= 1 && typed <= 5, `typing ${english.length} keys makes at most 5 requests (debounced)`, { requests: typed });
  equal(selects.at(-1), {
    dialogue: [{ speaker: 'other', text: chinese }, { speaker: 'user', text: english }], top_k: 8,
  }, 'the transcript and the English draft are the dialogue');
  checkStickers(enShown, 'en', 'English', await serverOrder(url, selects.at(-1)));
  await page.click('[data-testid="send-button"]');
  messages = await transcript(page);
  equal(messages.map((m) => [m.speaker, m.kind, m.text, m.lang]),
        [['other', 'text', chinese, 'zh'], ['user', 'text', english, 'en']],
        'the Send button sends the English message (lang en)');

  // -- a sticker sent with the keyboard
  const shown = await waitForStickers(page, english);
  const pick = shown.stickers[0];
  await page.focus(`[data-testid="sticker"][data-sticker-id="${pick.id}"]`);
  await page.keyboard.press('ArrowRight');
  const focused = await page.evaluate(() => document.activeElement?.dataset.stickerId);
  ok(shown.stickers.length < 2 || focused === shown.stickers[1].id, 'ArrowRight moves to the next sticker',
     { focused, expected: shown.stickers[1]?.id });
  await page.keyboard.press('ArrowLeft');
  const beforeSticker = selects.length;
  await page.keyboard.press('Enter');
  messages = await transcript(page);
  equal(messages.at(-1), { speaker: 'user', kind: 'sticker', text: null, lang: 'en', stickerId: pick.id, alt: pick.alt },
        `the sticker ${pick.id} (${pick.alt}) is in the transcript with its label as alt text`);
  const messageImageLoaded = await page.$eval('[data-testid="message"]:last-child img',
    (img) => img.decode().then(() => img.naturalWidth > 0, () => false));
  ok(messageImageLoaded, 'the sent sticker\'s image loads');
  await waitForStickers(page, pick.alt);
  equal(selects.slice(beforeSticker).at(-1)?.dialogue?.at(-1), { speaker: 'user', text: pick.alt },
        'the sticker turn goes to the server as its label');

  const screenshot = path.join(ARTIFACTS, 'eigml-web.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  note(`screenshot: ${screenshot}`);

  // -- the server's JSON error is shown: the page's request, made invalid
  // on its way, goes to the real server
  const direct = await fetch(new URL('v1/select', url), {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"dialogue": [], "top_k": 8}',
  });
  const directBody = await direct.json().catch(() => null);
  ok(direct.status >= 400 && direct.status < 500 && typeof directBody?.error?.message === 'string',
     'the server answers an empty dialogue with a JSON error', { status: direct.status, body: directBody });
  await page.route('**/v1/select', (route) => route.continue({ postData: '{"dialogue": [], "top_k": 8}' }));
  await input.fill('this request is broken on its way');
  await page.waitForSelector('[data-testid="error"]:not([hidden])', { timeout: SELECT_MS });
  const errorText = await page.textContent('[data-testid="error-message"]');
  equal(errorText, directBody?.error?.message, 'the page shows the server\'s error message');
  equal(await page.evaluate(() => document.body.dataset.selectState), 'error', 'the page is in its error state');
  const errorShot = path.join(ARTIFACTS, 'eigml-web-error.png');
  await page.screenshot({ path: errorShot });
  note(`screenshot: ${errorShot}`);
  await page.unroute('**/v1/select');
  await input.fill('Thanks, that helps');
  await page.waitForFunction(() => document.body.dataset.selectState === 'ready', null, { timeout: SELECT_MS });
  ok(await page.$eval('[data-testid="error"]', (e) => e.hidden), 'the error goes away on the next answer');

  // -- a phone: one column, nothing wider than the screen
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  ok(overflow <= 0, 'no horizontal scrolling at 390 px', { overflow });
  const narrow = path.join(ARTIFACTS, 'eigml-web-narrow.png');
  await page.screenshot({ path: narrow, fullPage: true });
  note(`screenshot: ${narrow}`);

  // -- accessibility basics
  const a11y = await page.evaluate(() => ({
    imagesWithoutAlt: [...document.images].filter((img) => !img.alt).map((img) => img.src),
    inputLabelled: document.querySelector('label[for="composer-input"]') !== null,
    htmlLang: document.documentElement.lang,
  }));
  equal(a11y.imagesWithoutAlt, [], 'every image has alt text');
  ok(a11y.inputLabelled && a11y.htmlLang === 'en', 'the input box is labelled and the page has a lang');

  equal(pageErrors, [], 'no uncaught errors in the page');
  const unexpected = badResponses.filter((r) => !r.includes('/v1/select'));
  equal(unexpected, [], 'no failed requests besides the deliberate error');
} catch (err) {
  ok(false, `the test ran to the end`, err.stack || String(err));
} finally {
  if (browser) await browser.close().catch(() => {});
  const exit = await stopServer();
  ok(exit !== null, 'eigml-server stops on SIGTERM within 10 s', exit);
  if (failed && serverLog.length) note(`eigml-server's output (last lines):\n${serverLog.slice(-30).join('\n')}`);
  console.log(`1..${count}`);
  process.exitCode = failed ? 1 : 0;
}
