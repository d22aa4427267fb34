#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The sticker server end to end (suite server): the real eigml-server on a
free port with the committed default model (data/default-model) and a small
library of PNGs written here. Every route and every error of docs/server.md;
a few hundred seeded, mutated JSON bodies (no crash, every answer JSON with
its status); 100 concurrent selects, each equal to the same request alone;
the full queue's 503; SIGTERM with requests in flight; TLS with a
self-signed certificate (openssl); the token; metrics that move. Prints TAP.
argv[1]: the eigml-server binary. EIGML_TEST_KEEP=1 keeps the folder."""

import base64
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

SERVER = os.path.abspath(sys.argv[1])
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = os.path.join(SOURCE, "data", "default-model")
TOKEN = "test-token-0123456789"
N_STICKERS = 12
START_TIMEOUT = 120
results = []


def tap(ok, name, why=""):
    results.append(bool(ok))
    why = " ".join(str(why).split())[:600]
    print("%s %d - %s%s" % ("ok" if ok else "not ok", len(results), name,
                            "" if ok else " # " + why), flush=True)
    return ok


def make_library(d):
    rng = random.Random(7)
    os.makedirs(os.path.join(d, "img"))
    lines = []
    for i in range(N_STICKERS):
        im = Image.new("RGB", (64, 64), tuple(rng.randrange(256) for _ in range(3)))
        for _ in range(40):
            x, y = rng.randrange(56), rng.randrange(56)
            colour = tuple(rng.randrange(256) for _ in range(3))
            for dx in range(8):
                for dy in range(8):
                    im.putpixel((x + dx, y + dy), colour)
        im.save(os.path.join(d, "img", "s%02d.png" % i))
        lines.append(json.dumps({"id": "s%02d" % i, "file": "img/s%02d.png" % i,
                                 "label": {"en": "sticker %d" % i, "zh": "贴纸%d" % i},
                                 "emotion": ["乐", "哀", "怒", None][i % 4]},
                                ensure_ascii=False))
    path = os.path.join(d, "library.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


def png_bytes(seed, size=48):
    rng = random.Random(seed)
    im = Image.new("RGB", (size, size), tuple(rng.randrange(256) for _ in range(3)))
    for _ in range(20):
        im.putpixel((rng.randrange(size), rng.randrange(size)), (0, 0, 0))
    path = os.path.join(WORK, "tmp-%d.png" % seed)
    im.save(path)
    with open(path, "rb") as f:
        return f.read()


class Server:
    """eigml-server on port 0; .port, .url, .proc"""

    def __init__(self, *args, library=None, tls=None):
        self.log = open(os.path.join(WORK, "server-%d.log" % len(results)), "w+")
        cmd = [SERVER, "--port", "0", "--model", MODEL, "--library", library or LIBRARY]
        if tls:
            cmd += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        cmd += list(args)
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(WORK, "cache"))
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, env=env,
                                     text=True)
        line = [None]

        def read_first():
            line[0] = self.proc.stdout.readline()

        t = threading.Thread(target=read_first, daemon=True)
        t.start()
        t.join(START_TIMEOUT)
        m = re.match(r"eigml-server: listening on (https?)://127\.0\.0\.1:(\d+)/$",
                     (line[0] or "").strip())
        if not m:
            self.proc.kill()
            self.log.seek(0)
            raise RuntimeError("no listening line: %r; stderr %r" % (line[0], self.log.read()))
        self.scheme, self.port = m.group(1), int(m.group(2))
        self.tls = tls
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def connection(self, timeout=120):
        if self.scheme == "https":
            ctx = ssl.create_default_context(cafile=self.tls[0])
            ctx.check_hostname = False
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                               context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=120):
        """(status, headers dict (lower-case), body bytes)"""
        conn = self.connection(timeout)
        try:
            if isinstance(body, str):
                body = body.encode("utf-8")
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def json(self, method, path, body=None, headers=None):
        status, h, data = self.request(method, path, body, headers)
        try:
            return status, h, json.loads(data.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return status, h, {"not json": data[:200]}

    def select(self, request):
        return self.json("POST", "/v1/select", json.dumps(request, ensure_ascii=False),
                         {"Content-Type": "application/json"})

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return "timeout"

    def stderr(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()


def is_error(body, status, field="any"):
    e = body.get("error") if isinstance(body, dict) else None
    if not isinstance(e, dict) or e.get("code") != status or not isinstance(e.get("message"), str):
        return False
    return field == "any" or e.get("field") == field


def dialogue(*texts):
    return [{"speaker": "ab"[i % 2], "text": t} for i, t in enumerate(texts)]


def same_selection(a, b):
    ra, rb = a["results"], b["results"]
    return (len(ra) == len(rb) and
            all(x["sticker_id"] == y["sticker_id"] for x, y in zip(ra, rb)) and
            all(abs(x["score"] - y["score"]) <= 1e-5 for x, y in zip(ra, rb)))


def metric(text, name, labels=""):
    for line in text.splitlines():
        if line.startswith(name + labels + " ") or (not labels and line.startswith(name + " ")):
            return float(line.split()[-1])
    return 0.0


# ---- the tests --------------------------------------------------------------

def test_routes(s):
    status, h, body = s.json("GET", "/v1/health")
    tap(status == 200 and body.get("model") == "default-model" and
        body.get("library_size") == N_STICKERS and body.get("backend") == "cpu" and
        isinstance(body.get("device"), str) and isinstance(body.get("version"), str) and
        body.get("components", {}).get("iega") is True and
        "application/json" in h.get("content-type", ""), "GET /v1/health", body)

    for path, kind in (("/", "text/html"), ("/index.html", "text/html"),
                       ("/app.js", "text/javascript"), ("/style.css", "text/css")):
        status, h, data = s.request("GET", path)
        etag = h.get("etag", "")
        s304, _, d304 = s.request("GET", path, headers={"If-None-Match": etag})
        tap(status == 200 and kind in h.get("content-type", "") and data and
            etag.startswith('"') and s304 == 304 and d304 == b"",
            "GET %s: the page from the GResource, 304 on its ETag" % path, (status, h))

    status, h, body = s.json("GET", "/v1/stickers")
    st = body.get("stickers", [])
    tap(status == 200 and body.get("total") == N_STICKERS and body.get("offset") == 0 and
        len(st) == N_STICKERS and st[1] == {"id": "s01", "label_en": "sticker 1",
                                            "label_zh": "贴纸1", "emotion": "哀",
                                            "image": "/v1/stickers/s01/image"} and
        st[3]["emotion"] is None, "GET /v1/stickers", body)
    status, _, body = s.json("GET", "/v1/stickers?offset=10&limit=5")
    tap(status == 200 and [x["id"] for x in body["stickers"]] == ["s10", "s11"] and
        body["total"] == N_STICKERS, "GET /v1/stickers?offset=10&limit=5", body)
    status, _, body = s.json("GET", "/v1/stickers?offset=100")
    tap(status == 200 and body["stickers"] == [], "an offset past the end: no stickers", body)
    for q, field in (("limit=501", "limit"), ("limit=-1", "limit"), ("offset=x", "offset"),
                     ("limit=1e3", "limit")):
        status, _, body = s.json("GET", "/v1/stickers?" + q)
        tap(status == 400 and is_error(body, 400, field), "GET /v1/stickers?%s: 400" % q, body)

    status, _, body = s.json("GET", "/v1/stickers/s02")
    tap(status == 200 and body.get("id") == "s02" and body.get("label_zh") == "贴纸2",
        "GET /v1/stickers/s02", body)
    status, _, body = s.json("GET", "/v1/stickers/nope")
    tap(status == 404 and is_error(body, 404), "GET /v1/stickers/nope: 404", body)

    status, h, data = s.request("GET", "/v1/stickers/s03/image")
    with open(os.path.join(WORK, "img", "s03.png"), "rb") as f:
        want = f.read()
    etag = h.get("etag", "")
    tap(status == 200 and data == want and h.get("content-type") == "image/png" and
        re.fullmatch(r'"[0-9a-f]{32}"', etag) and "max-age" in h.get("cache-control", ""),
        "GET /v1/stickers/s03/image: the bytes, image/png, a strong ETag, Cache-Control", h)
    s304, h304, d304 = s.request("GET", "/v1/stickers/s03/image",
                                 headers={"If-None-Match": etag})
    other = s.request("GET", "/v1/stickers/s03/image", headers={"If-None-Match": '"abc"'})
    tap(s304 == 304 and d304 == b"" and h304.get("etag") == etag and other[0] == 200,
        "If-None-Match: 304 for its ETag, 200 for another", (s304, other[0]))
    status, h, data = s.request("HEAD", "/v1/stickers/s03/image")
    tap(status == 200 and data == b"", "HEAD an image", status)
    _, h4, _ = s.request("GET", "/v1/stickers/s04/image")
    tap(h4.get("etag") != etag, "another image, another ETag", h4.get("etag"))
    status, _, body = s.json("GET", "/v1/stickers/nope/image")
    tap(status == 404 and is_error(body, 404), "GET /v1/stickers/nope/image: 404", body)

    status, _, body = s.json("GET", "/nope")
    tap(status == 404 and is_error(body, 404), "an unknown route: 404 JSON", body)
    for method, path, allow in (("GET", "/v1/select", "POST"), ("PUT", "/v1/select", "POST"),
                                ("DELETE", "/v1/stickers", "GET, HEAD, POST"),
                                ("POST", "/v1/health", "GET, HEAD"),
                                ("POST", "/metrics", "GET, HEAD"),
                                ("DELETE", "/v1/stickers/s01", "GET, HEAD")):
        status, h, body = s.json(method, path)
        tap(status == 405 and h.get("allow") == allow and is_error(body, 405),
            "%s %s: 405, Allow: %s" % (method, path, allow), (status, h.get("allow"), body))


def test_select(s):
    status, _, body = s.select({"dialogue": dialogue("今天加班好累", "辛苦了")})
    res = body.get("results", [])
    ok = (status == 200 and len(res) == 5 and
          all(set(r) >= {"sticker_id", "score", "s_emo", "s_int", "p_vl"} for r in res) and
          all(res[i]["score"] >= res[i + 1]["score"] for i in range(len(res) - 1)) and
          set(body.get("emotion", {})) >= {"label", "distribution"} and
          len(body["emotion"]["distribution"]) == 7 and
          set(body.get("intent", {})) == {"xIntent", "xNeed", "xWant", "xEffect"} and
          isinstance(body.get("took_ms"), (int, float)))
    tap(ok, "POST /v1/select, the whole library: top 5 by default, parts, emotion, intent",
        body)
    status, _, body = s.select({"dialogue": dialogue("我今天很难过"), "top_k": 3,
                                "candidates": ["s01", "s05", "s07", "s09"]})
    res = body.get("results", [])
    tap(status == 200 and len(res) == 3 and
        {r["sticker_id"] for r in res} <= {"s01", "s05", "s07", "s09"} and
        body["emotion"]["label"] == "哀" and body["emotion"]["distribution"]["哀"] > 0,
        "POST /v1/select with candidates and top_k; the dialogue's emotion", body)
    status, _, body = s.select({"dialogue": dialogue("嗯"), "top_k": 100})
    tap(status == 200 and len(body.get("results", [])) == N_STICKERS,
        "top_k 100 on a library of 12: all 12", status)
    status, _, body = s.select({"dialogue": [{"text": "好" * 2000}], "top_k": 1})
    tap(status == 200, "a turn of 2,000 Chinese characters (6,000 bytes) is allowed", body)


def test_select_errors(s):
    turn = [{"speaker": "a", "text": "hi"}]
    cases = [
        ("not json", b"{oops", 400, None),
        ("an array body", b"[1, 2]", 400, None),
        ("an empty body", b"", 400, None),
        ("not UTF-8", b'{"dialogue": [{"text": "\xff\xfe"}]}', 400, None),
        ("nesting 40 deep", ("{\"a\": " + "[" * 40 + "]" * 40 + "}").encode(), 400, None),
        ("no dialogue", {}, 400, "dialogue"),
        ("dialogue null", {"dialogue": None}, 400, "dialogue"),
        ("dialogue a string", {"dialogue": "hi"}, 400, "dialogue"),
        ("dialogue empty", {"dialogue": []}, 400, "dialogue"),
        ("51 turns", {"dialogue": turn * 51}, 400, "dialogue"),
        ("a turn not an object", {"dialogue": [turn[0], 5]}, 400, "dialogue[1]"),
        ("a turn without text", {"dialogue": [{"speaker": "a"}]}, 400, "dialogue[0].text"),
        ("text a number", {"dialogue": [{"text": 5}]}, 400, "dialogue[0].text"),
        ("speaker a number", {"dialogue": [{"speaker": 1, "text": "x"}]}, 400,
         "dialogue[0].speaker"),
        ("2,001 characters", {"dialogue": [turn[0], {"text": "好" * 2001}]}, 400,
         "dialogue[1].text"),
        ("top_k 0", {"dialogue": turn, "top_k": 0}, 400, "top_k"),
        ("top_k 101", {"dialogue": turn, "top_k": 101}, 400, "top_k"),
        ("top_k -3", {"dialogue": turn, "top_k": -3}, 400, "top_k"),
        ("top_k a string", {"dialogue": turn, "top_k": "5"}, 400, "top_k"),
        ("top_k 2.5", {"dialogue": turn, "top_k": 2.5}, 400, "top_k"),
        ("top_k huge", b'{"dialogue": [{"text": "x"}], "top_k": 1e400}', 400, "top_k"),
        ("top_k 2^70", b'{"dialogue": [{"text": "x"}], "top_k": 1180591620717411303424}', 400,
         "top_k"),
        ("candidates a string", {"dialogue": turn, "candidates": "s01"}, 400, "candidates"),
        ("candidates empty", {"dialogue": turn, "candidates": []}, 400, "candidates"),
        ("candidates 1,001", {"dialogue": turn, "candidates": ["s01"] * 1001}, 400,
         "candidates"),
        ("a candidate a number", {"dialogue": turn, "candidates": ["s01", 2]}, 400,
         "candidates[1]"),
        ("an unknown candidate", {"dialogue": turn, "candidates": ["s01", "nope"]}, 404,
         "candidates[1]"),
    ]
    for name, body, status, field in cases:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False)
        got, _, answer = s.json("POST", "/v1/select", data)
        tap(got == status and is_error(answer, status, field),
            "select, %s: %d naming %s" % (name, status, field), (got, answer))
    big = json.dumps({"dialogue": turn, "pad": "x" * (70 << 10)})
    got, h, answer = s.json("POST", "/v1/select", big)
    tap(got == 413 and is_error(answer, 413), "a body over 64 KiB: 413", (got, answer))
    # a chunked body has no length to check first
    conn = s.connection()
    conn.putrequest("POST", "/v1/select")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    conn.send(b"5\r\nhello\r\n0\r\n\r\n")
    r = conn.getresponse()
    answer = json.loads(r.read())
    conn.close()
    tap(r.status == 411 and is_error(answer, 411), "a chunked body: 411", (r.status, answer))


def mutate(rng, base):
    """one hostile variant of a valid request body"""
    kind = rng.randrange(9)
    text = json.dumps(base, ensure_ascii=False)
    data = text.encode("utf-8")
    if kind == 0:                                   # byte flips
        b = bytearray(data)
        for _ in range(rng.randrange(1, 6)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b)
    if kind == 1:                                   # truncation
        return data[:rng.randrange(len(data))]
    if kind == 2:                                   # type swaps
        key = rng.choice(["dialogue", "top_k", "candidates"])
        base = dict(base)
        base[key] = rng.choice([None, True, 0, -1, 3.5, "x", [], {}, [None], [[1]], {"a": 1},
                                ["s01", None], [{"text": None}], [{"text": ["x"]}]])
        return json.dumps(base).encode()
    if kind == 3:                                   # huge numbers
        num = rng.choice(["1e400", "-1e400", "99999999999999999999999999", "1" * 300,
                          "-0", "0.0000001", "1e-400", "NaN", "Infinity"])
        return text.replace('"top_k": 3', '"top_k": ' + num).encode()
    if kind == 4:                                   # deep nesting
        depth = rng.choice([17, 100, 5000, 30000])
        return ('{"dialogue": ' + "[" * depth + "]" * depth + "}").encode()[:60000]
    if kind == 5:                                   # random bytes inserted
        b = bytearray(data)
        at = rng.randrange(len(b))
        b[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 20)))
        return bytes(b)
    if kind == 6:                                   # structure from elsewhere
        return rng.choice([b"null", b"true", b"1", b'"x"', b"{}", b"[]", b"{\"dialogue\":",
                           b"\x00\x00", b"{\"dialogue\": [{\"text\": \"\\ud800\"}]}",
                           b"{\"dialogue\": [{\"text\": \"a\\u0000b\"}]}"])
    if kind == 7:                                   # long and many
        base = dict(base)
        base["dialogue"] = [{"text": "字" * rng.choice([1999, 2000, 2001])}] * \
            rng.choice([1, 50, 51])
        return json.dumps(base, ensure_ascii=False).encode()
    base = dict(base)                               # duplicate and unknown members
    return (json.dumps(base, ensure_ascii=False)[:-1] +
            ', "top_k": %d, "extra": {"x": [1, 2]}}' % rng.randrange(-5, 200)).encode()


def test_fuzz(s):
    rng = random.Random(20260601)
    base = {"dialogue": dialogue("今天好开心", "why?"), "top_k": 3,
            "candidates": ["s01", "s02", "s03", "s04"]}
    bad, statuses = [], {}
    for i in range(300):
        data = mutate(rng, base)
        try:
            status, _, answer = s.json("POST", "/v1/select", data)
        except (OSError, http.client.HTTPException) as e:
            bad.append((i, data[:80], repr(e)))
            break
        statuses[status] = statuses.get(status, 0) + 1
        if status == 200:
            ok = isinstance(answer.get("results"), list) and len(answer["results"]) >= 1
        else:
            ok = status in (400, 404, 413) and is_error(answer, status)
        if not ok:
            bad.append((i, data[:80], status, answer))
    alive = s.request("GET", "/v1/health")[0] == 200 and s.proc.poll() is None
    tap(not bad and alive and statuses.get(400, 0) > 100 and statuses.get(200, 0) > 5,
        "300 mutated bodies: every answer JSON with its status, the server alive (%s)" %
        ", ".join("%d×%d" % kv for kv in sorted(statuses.items())), bad[:3])


REQUESTS = [
    {"dialogue": dialogue("今天加班好累", "辛苦了")},
    {"dialogue": dialogue("我今天很难过"), "top_k": 3},
    {"dialogue": dialogue("哈哈哈太好笑了"), "candidates": ["s01", "s02", "s03"]},
    {"dialogue": dialogue("see you tomorrow"), "top_k": 8},
    {"dialogue": dialogue("气死我了", "怎么了", "他又迟到了"), "top_k": 2,
     "candidates": ["s%02d" % i for i in range(N_STICKERS)]},
    {"dialogue": dialogue("好害怕"), "top_k": 1},
    {"dialogue": dialogue("谢谢你的礼物", "不客气", "真的很喜欢")},
    {"dialogue": dialogue("这是什么"), "candidates": ["s11", "s00"], "top_k": 5},
    {"dialogue": dialogue("晚安")},
    {"dialogue": dialogue("真恶心", "别这样"), "top_k": 4},
]


def test_concurrent(s):
    before = s.request("GET", "/metrics")[2].decode()
    jobs = [REQUESTS[i % len(REQUESTS)] for i in range(100)]
    barrier = threading.Barrier(25)

    def one(req):
        try:
            barrier.wait(10)
        except threading.BrokenBarrierError:
            pass
        return s.select(req)

    with ThreadPoolExecutor(25) as pool:
        answers = list(pool.map(one, jobs))
    alone = [s.select(r) for r in REQUESTS]
    failed = [i for i, (st, _, b) in enumerate(answers)
              if st != 200 or not same_selection(b, alone[i % len(REQUESTS)][2])]
    tap(not failed and all(a[0] == 200 for a in alone),
        "100 concurrent selects: all 200, each equal to the same request alone",
        [(i, answers[i][0], answers[i][2]) for i in failed[:2]])
    after = s.request("GET", "/metrics")[2].decode()
    batches = metric(after, "eigml_select_batch_size_count") - \
        metric(before, "eigml_select_batch_size_count")
    dialogues = metric(after, "eigml_select_batch_size_sum") - \
        metric(before, "eigml_select_batch_size_sum")
    tap(dialogues == 110 and 0 < batches < 110,
        "they were batched: %d dialogues in %d passes" % (dialogues, batches),
        (dialogues, batches))


def test_metrics(s):
    label = '{route="/v1/health",status="200"}'
    first = s.request("GET", "/metrics")
    for _ in range(3):
        s.request("GET", "/v1/health")
    s.select({"dialogue": dialogue("x"), "top_k": 0})
    text = s.request("GET", "/metrics")[2].decode()
    moved = metric(text, "eigml_http_requests_total", label) - \
        metric(first[2].decode(), "eigml_http_requests_total", label)
    bad = metric(text, "eigml_http_requests_total", '{route="/v1/select",status="400"}') - \
        metric(first[2].decode(), "eigml_http_requests_total",
               '{route="/v1/select",status="400"}')
    count = metric(text, "eigml_http_request_duration_seconds_count", '{route="/v1/health"}')
    inf = metric(text, "eigml_http_request_duration_seconds_bucket",
                 '{route="/v1/health",le="+Inf"}')
    tap(first[0] == 200 and "text/plain" in first[1].get("content-type", "") and
        moved == 3 and bad == 1 and count >= 3 and inf == count and
        "eigml_select_queue_depth 0" in text and "eigml_library_stickers" in text,
        "GET /metrics: counters by route and status move, histograms, queue depth",
        (moved, bad, count, inf))


def test_add_sticker(s):
    new = png_bytes(1)
    body = json.dumps({"id": "new1", "label_en": "new one", "label_zh": "新的",
                       "emotion": "joy", "image": base64.b64encode(new).decode()})
    auth = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"}
    status, h, answer = s.json("POST", "/v1/stickers", body,
                               {"Content-Type": "application/json"})
    tap(status == 401 and is_error(answer, 401) and "bearer" in h.get("www-authenticate",
                                                                       "").lower(),
        "POST /v1/stickers without a token: 401", (status, answer))
    status, _, answer = s.json("POST", "/v1/stickers", body,
                               {**auth, "Authorization": "Bearer wrong"})
    status2, _, answer2 = s.json("POST", "/v1/stickers", body,
                                 {**auth, "Authorization": "Bearer " + TOKEN + "x"})
    tap(status == 401 and status2 == 401 and is_error(answer, 401),
        "a wrong token: 401", (status, status2))

    status, h, answer = s.json("POST", "/v1/stickers", body, auth)
    tap(status == 201 and answer.get("id") == "new1" and answer.get("emotion") == "乐" and
        h.get("location") == "/v1/stickers/new1", "POST /v1/stickers (JSON, base64): 201",
        (status, answer))
    got = s.request("GET", "/v1/stickers/new1/image")
    listed = s.json("GET", "/v1/stickers")[2]
    with open(LIBRARY, encoding="utf-8") as f:
        saved = [json.loads(line) for line in f if line.strip()]
    tap(got[0] == 200 and got[2] == new and listed["total"] == N_STICKERS + 1 and
        saved[-1]["id"] == "new1" and saved[-1]["file"] == "stickers/new1.png" and
        os.path.exists(os.path.join(WORK, "stickers", "new1.png")),
        "the new sticker is served, listed, and saved beside the library", saved[-1])
    status, _, answer = s.select({"dialogue": dialogue("开心"), "candidates": ["new1", "s01"]})
    whole = s.select({"dialogue": dialogue("开心"), "top_k": 100})[2]
    tap(status == 200 and len(answer["results"]) == 2 and
        len(whole.get("results", [])) == N_STICKERS + 1,
        "and selected, as a candidate and in the whole library", answer)

    # multipart/form-data
    boundary = "eigmlboundary42"
    parts = []
    for name, value in (("id", b"new2"), ("label_zh", "第二".encode()), ("emotion", "哀".encode())):
        parts.append(b"--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" %
                     (boundary.encode(), name.encode(), value))
    parts.append(b"--%s\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\""
                 b"\r\nContent-Type: image/png\r\n\r\n%s\r\n--%s--\r\n" %
                 (boundary.encode(), png_bytes(2), boundary.encode()))
    status, _, answer = s.json("POST", "/v1/stickers", b"".join(parts),
                               {"Authorization": "Bearer " + TOKEN,
                                "Content-Type": "multipart/form-data; boundary=" + boundary})
    tap(status == 201 and answer.get("label_zh") == "第二" and answer.get("emotion") == "哀",
        "POST /v1/stickers (multipart/form-data): 201", (status, answer))

    def post(obj):
        return s.json("POST", "/v1/stickers", json.dumps(obj), auth)

    img = base64.b64encode(png_bytes(3)).decode()
    for name, obj, status, field in (
            ("a duplicate id", {"id": "new1", "image": img}, 409, "id"),
            ("an existing library id", {"id": "s01", "image": img}, 409, "id"),
            ("no id", {"image": img}, 400, "id"),
            ("a bad id", {"id": "../x", "image": img}, 400, "id"),
            ("no image", {"id": "new3"}, 400, "image"),
            ("an image that is not one", {"id": "new3",
                                          "image": base64.b64encode(b"hello" * 50).decode()},
             400, "image"),
            ("a truncated PNG", {"id": "new3",
                                 "image": base64.b64encode(png_bytes(4)[:60]).decode()},
             400, "image"),
            ("a bad emotion", {"id": "new3", "image": img, "emotion": "glad"}, 400, "emotion"),
            ("a label not a string", {"id": "new3", "image": img, "label_en": 5}, 400,
             "label_en")):
        got, _, answer = post(obj)
        tap(got == status and is_error(answer, status, field),
            "POST /v1/stickers, %s: %d naming %s" % (name, status, field), (got, answer))
    big = json.dumps({"id": "big", "image": "A" * (5 << 20)})
    got, _, answer = s.json("POST", "/v1/stickers", big, auth)
    tap(got == 413 and is_error(answer, 413), "an upload over 4 MiB: 413", (got, answer))
    tap(s.json("GET", "/v1/health")[2].get("library_size") == N_STICKERS + 2,
        "the library has the two new stickers")


def test_no_token(s):
    status, _, answer = s.json("POST", "/v1/stickers", "{}",
                               {"Authorization": "Bearer " + TOKEN})
    tap(status == 403 and is_error(answer, 403),
        "a server started without --token refuses POST /v1/stickers: 403", (status, answer))


def test_queue_full():
    s = Server("--queue-size", "1", "--max-batch", "1", "--batch-wait-ms", "0")
    try:
        got = []
        for attempt in range(3):
            with ThreadPoolExecutor(30) as pool:
                got = list(pool.map(lambda r: s.select(r),
                                    [REQUESTS[0]] * 30))
            if any(g[0] == 503 for g in got):
                break
        full = [g for g in got if g[0] == 503]
        ok = [g for g in got if g[0] == 200]
        tap(full and ok and len(full) + len(ok) == len(got) and
            all(g[1].get("retry-after") == "1" and is_error(g[2], 503) for g in full),
            "--queue-size 1 and a burst of 30: %d answered 503 with Retry-After, %d 200" %
            (len(full), len(ok)), [g[0] for g in got])
        text = s.request("GET", "/metrics")[2].decode()
        tap(metric(text, "eigml_http_requests_total", '{route="/v1/select",status="503"}') ==
            len(full), "the 503s are counted", len(full))
    finally:
        s.stop()


def test_sigterm():
    s = Server("--batch-wait-ms", "3000", "--max-batch", "64")
    answers = [None] * 8

    def one(i):
        answers[i] = s.select(REQUESTS[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    depth = 0
    while time.monotonic() < deadline:
        depth = metric(s.request("GET", "/metrics")[2].decode(), "eigml_select_queue_depth")
        if depth == 8:
            break
        time.sleep(0.05)
    sent = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    try:
        socket.create_connection(("127.0.0.1", s.port), timeout=5).close()
        refused = False
    except OSError:
        refused = True
    for t in threads:
        t.join(60)
    code = s.stop()
    tap(depth == 8 and all(a is not None and a[0] == 200 and a[2].get("results")
                           for a in answers) and code == 0 and refused,
        "SIGTERM with 8 selects queued: new connections refused, all 8 answered, exit 0 "
        "(%.1f s)" % (time.monotonic() - sent),
        (depth, [a and a[0] for a in answers], code, refused, s.stderr()[-300:]))


def test_tls():
    cert, key = os.path.join(WORK, "cert.pem"), os.path.join(WORK, "key.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       capture_output=True, text=True)
    if not tap(r.returncode == 0, "openssl makes a self-signed certificate", r.stderr):
        return
    s = Server(tls=(cert, key))
    try:
        status, _, body = s.json("GET", "/v1/health")
        # the library file now has the stickers added earlier: a restart reads them
        tap(s.scheme == "https" and status == 200 and
            body.get("library_size") == N_STICKERS + 2,
            "--tls-cert/--tls-key: https, and the saved library is read back", body)
        status, _, body = s.select({"dialogue": dialogue("你好"), "top_k": 2})
        tap(status == 200 and len(body.get("results", [])) == 2, "select over TLS", body)
        plain = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        try:
            plain.request("GET", "/v1/health")
            plain_status = plain.getresponse().status
        except (OSError, http.client.HTTPException):
            plain_status = None
        tap(plain_status != 200, "plain HTTP to the TLS port is not served", plain_status)
    finally:
        code = s.stop(signal.SIGINT)
        tap(code == 0, "SIGINT: exit 0", code)


def main():
    global WORK, LIBRARY
    WORK = tempfile.mkdtemp(prefix="eigml-server-test-")
    LIBRARY = make_library(WORK)
    try:
        s = Server("--token", TOKEN)
        try:
            test_routes(s)
            test_select(s)
            test_select_errors(s)
            test_fuzz(s)
            test_concurrent(s)
            test_metrics(s)
            test_add_sticker(s)
        finally:
            code = s.stop()
            tap(code == 0, "SIGTERM: exit 0", (code, s.stderr()[-500:]))
        s = Server()
        try:
            test_no_token(s)
        finally:
            s.stop()
        test_queue_full()
        test_sigterm()
        test_tls()
    finally:
        print("1..%d" % len(results), flush=True)
        if os.environ.get("EIGML_TEST_KEEP"):
            print("# kept %s" % WORK)
        else:
            shutil.rmtree(WORK, ignore_errors=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
