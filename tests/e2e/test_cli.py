#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End-to-end test of `eigml train`, `eigml eval` and `eigml select` (suite
e2e): the tool as a user runs it, on a tiny JSON lines dataset written here
(the fixture and the tiny model of tests/test-trainer.c). Training to the
end; SIGKILL then --resume ends with the same weights as an uninterrupted
run; Ctrl-C (SIGINT) saves a checkpoint and exits 130, and --resume
finishes from it; eval with a checkpoint and with --init random, JSON and
table output, the predictions file; select; bad input is a one-line error.
Prints TAP. argv[1]: the eigml tool. EIGML_TEST_KEEP=1 keeps the folder."""

import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
from PIL import Image

EIGML = os.path.abspath(sys.argv[1])
TIMEOUT = 300               # any one command
SIGNAL_TIMEOUT = 120        # from SIGINT to the exit
results = []

WORDS = ["red", "green", "blue", "cat", "dog", "sun", "rain", "happy", "sad", "tea", "owl",
         "fish"]
N_STICKERS = 12
N_TRAIN, BATCH = 32, 4
STEPS_PER_EPOCH = N_TRAIN // BATCH
LOSS_TERMS = {"total", "itm", "i2t", "t2i", "emo", "int", "emo_prime", "intra_emo_t",
              "intra_emo_v", "intra_int_t", "intra_int_v", "con_t", "con_v"}
METRIC_KEYS = {"MAP", "MRR", "R10@1", "R10@2", "R10@5", "examples"}
# the config of tests/test-trainer.c's make_fixture
CONFIG = {
    "model": {
        "text_encoder": {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                         "intermediate_size": 64, "vocab_size": 40,
                         "max_position_embeddings": 24},
        "vision_encoder": {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                           "intermediate_size": 64, "image_size": 16, "patch_size": 8},
        "max_len": 12, "knowledge_len": 6, "n_candidates": 4, "proj_dim": 16,
        "fusion_heads": 2, "fusion_ffn": 48},
    "vocab": "vocab.txt",
    "data": {"path": ".", "format": "jsonl", "train": "train", "validation": "val"},
    "train": {"lr": 0.002, "epochs": 2, "batch_size": BATCH, "warmup_steps": 2, "log_every": 1},
    "output": "run",
}
# the longer run of the kill and SIGINT checks: 32 steps, a checkpoint every 2
LONG = ["--set", "train.epochs=4", "--set", "train.checkpoint_every=2"]
LONG_STEPS = 4 * STEPS_PER_EPOCH


def tap(ok, name, why=""):
    results.append(bool(ok))
    why = " ".join(str(why).split())[:600]
    print("%s %d - %s%s" % ("ok" if ok else "not ok", len(results), name,
                            "" if ok else " # " + why), flush=True)
    return ok


def run(*args, cwd=None):
    t = time.monotonic()
    r = subprocess.run([EIGML] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=TIMEOUT, cwd=cwd)
    r.seconds = time.monotonic() - t
    return r


def show(r):
    return "rc %s; stdout %r; stderr %r" % (r.returncode, r.stdout[-300:], r.stderr[-400:])


def make_fixture(d):
    """tests/test-trainer.c's make_fixture: a flat colour per sticker, a
    dialogue that names the sticker's word; 32 train, 8 val, 8 test"""
    os.makedirs(os.path.join(d, "stickers"))
    for s in range(N_STICKERS):
        rgb = ((230 if s & 1 else 20) + s * 3, (230 if s & 2 else 20) + s * 5,
               (230 if s & 4 else 20) + (90 if s & 8 else 0))
        Image.new("RGB", (16, 16), rgb).save(os.path.join(d, "stickers", "s%02d.png" % s))
    lines = []
    for i in range(48):
        s = i % N_STICKERS
        lines.append(json.dumps({
            "id": "e%d" % i,
            "dialogue": [{"speaker": "A", "text": "%s %s" % (WORDS[i * 7 % 12],
                                                            WORDS[(i * 5 + 1) % 12])},
                         {"speaker": "B", "text": WORDS[s]}],
            "sticker": "stickers/s%02d.png" % s,
            "emotion": "乐" if i % 3 == 0 else "哀",
            "intent": {"xIntent": ["to " + WORDS[s]]}}, ensure_ascii=False))
    for name, part in (("train", lines[:32]), ("val", lines[32:40]), ("test", lines[40:])):
        with open(os.path.join(d, name + ".jsonl"), "w", encoding="utf-8") as f:
            f.write("\n".join(part) + "\n")
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        f.write("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ";", "to"] + WORDS) + "\n")
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=1)
    return os.path.join(d, "config.json")


# --- reading what the tool writes -------------------------------------------

def parse_log(text):
    """stderr of a non-terminal `eigml train`: JSON lines, plus the
    documented plain lines ("eigml train: ..." and "resuming from ...").
    Returns (progress objects, message objects, problems)."""
    progress, messages, bad = [], [], []
    for line in text.splitlines():
        if not line.strip() or line.startswith("eigml train:") or line.startswith("resuming from "):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            bad.append("not JSON: %r" % line[:120])
            continue
        if not isinstance(obj, dict):
            bad.append("not an object: %r" % line[:120])
        elif "message" in obj:
            messages.append(obj)
        elif {"epoch", "step", "loss"} <= obj.keys():
            progress.append(obj)
            loss = obj["loss"]
            if not isinstance(loss, dict) or "total" not in loss:
                bad.append("step %s: loss is %r" % (obj.get("step"), loss))
            elif not all(isinstance(v, (int, float)) and math.isfinite(v) for v in loss.values()):
                bad.append("step %s: a loss term is not finite: %r" % (obj["step"], loss))
        else:
            bad.append("no epoch/step/loss: %r" % line[:120])
    return progress, messages, bad


def validation_maps(messages):
    maps = []
    for m in messages:
        found = re.match(r"validation at step (\d+) \(epoch \d+\): (\{.*\})$", m["message"])
        if found:
            maps.append((int(found.group(1)), json.loads(found.group(2))["MAP"]))
    return maps


def latest_step(out):
    """the step of the checkpoint OUT/latest names, or None"""
    try:
        with open(os.path.join(out, "latest")) as f:
            name = f.read().strip()
    except OSError:
        return None
    found = re.fullmatch(r"checkpoint-(\d{8})", name)
    return int(found.group(1)) if found else None


def select_results(r):
    """the "results" list of `eigml select --json`, or [] when it printed none"""
    try:
        return json.loads(r.stdout)["results"]
    except (ValueError, KeyError, TypeError):
        return []


def state(folder):
    with open(os.path.join(folder, "trainer-state.json")) as f:
        return json.load(f)


def tensors(path):
    """{name: ndarray} of a safetensors file, read here from the format
    (8-byte header length, JSON header, data)"""
    with open(path, "rb") as f:
        blob = f.read()
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + n])
    dtypes = {"F32": np.float32, "F16": np.float16, "I32": np.int32, "I64": np.int64,
              "BF16": np.uint16, "U8": np.uint8}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(blob[8 + n + a:8 + n + b],
                                  dtype=dtypes[info["dtype"]]).reshape(info["shape"])
    return out


def same_weights(a, b):
    """(equal, why): the two files hold the same tensors, bit for bit"""
    ta, tb = tensors(a), tensors(b)
    if ta.keys() != tb.keys():
        return False, "tensor names differ: %s" % sorted(ta.keys() ^ tb.keys())[:5]
    if len(ta) < 10:
        return False, "only %d tensors" % len(ta)
    diff = [k for k in ta if ta[k].shape != tb[k].shape or
            ta[k].tobytes() != tb[k].tobytes()]
    if diff:
        k = diff[0]
        d = np.max(np.abs(ta[k].astype(np.float64) - tb[k].astype(np.float64))) \
            if ta[k].shape == tb[k].shape else "shape"
        return False, "%d of %d tensors differ, e.g. %s (max |diff| %s)" % (len(diff), len(ta),
                                                                              k, d)
    return True, "%d tensors" % len(ta)


class Background:
    """`eigml train` in the background, stderr collected line by line"""

    def __init__(self, *args, cwd=None):
        self.proc = subprocess.Popen([EIGML] + [str(a) for a in args], cwd=cwd, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines = []
        self.stdout = ""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line)

    def progress_lines(self):
        return sum(1 for l in list(self.lines) if l.startswith('{"epoch"'))

    def wait(self, timeout):
        """the exit status, or None when it ran past @timeout (then killed);
        stderr is the reader thread's alone, stdout is read at the end
        (the tool prints one line there)"""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        self.stdout = self.proc.stdout.read()
        self.proc.stdout.close()
        self.reader.join(30)
        return rc

    @property
    def stderr(self):
        return "".join(self.lines)


def poll(cond, timeout, proc):
    """waits until cond() or the process ends; True when cond() held"""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        if proc.poll() is not None:
            return cond()
        time.sleep(0.002)
    return False


def is_clean_error(r, *needles):
    """a failure the user can read: exit status 1 or 2 (not a signal), one
    message from the tool on stderr naming the thing, no crash text"""
    err = r.stderr
    crash = [w for w in ("Traceback", "CRITICAL", "WARNING", "Segmentation", "Sanitizer",
                         "core dumped", "g_return") if w in err]
    missing = [n for n in needles if n not in err]
    ok = r.returncode in (1, 2) and err.startswith("eigml ") and not crash and not missing
    return ok, "rc %s, crash text %s, missing %s: %r" % (r.returncode, crash, missing, err[-400:])


# --- the checks -------------------------------------------------------------

def check_train(tmp, config):
    out = os.path.join(tmp, "out")
    epochs = CONFIG["train"]["epochs"]
    total = epochs * STEPS_PER_EPOCH
    r = run("train", "--config", config, "-o", out)
    print("# eigml train, %d steps: %.1f s" % (total, r.seconds), flush=True)
    tap(r.returncode == 0, "train runs to the end, exit status 0", show(r))
    said = re.match(r"trained (\d+) steps; best validation MAP ([0-9.]+); best model in (.*)$",
                    r.stdout.strip())
    tap(said and int(said.group(1)) == total and said.group(3) == out,
        "stdout says: trained %d steps, best model in OUT" % total, r.stdout)
    names = sorted(os.listdir(out)) if os.path.isdir(out) else []
    ckpts = [n for n in names if re.fullmatch(r"checkpoint-\d{8}", n)]
    want = "checkpoint-%08d" % total
    tap(want in ckpts and 0 < len(ckpts) <= 2,
        "OUT holds the final checkpoint, at most keep_checkpoints (2)", names)
    files = ("config.json", "model.safetensors", "vocab.txt")
    best = os.path.join(out, "best")
    tap(all(os.path.isfile(os.path.join(best, f)) for f in files),
        "OUT/best has config.json, model.safetensors, vocab.txt",
        os.listdir(best) if os.path.isdir(best) else "no OUT/best")
    tap(latest_step(out) == total and state(os.path.join(out, want))["step"] == total,
        "OUT/latest names %s, whose trainer-state.json says step %d" % (want, total),
        "latest -> %s" % latest_step(out))

    progress, messages, bad = parse_log(r.stderr)
    tap(not bad and progress, "stderr (not a terminal) is JSON lines with epoch, step and "
        "finite loss terms", bad[:3] or "no progress lines")
    tap(progress and LOSS_TERMS <= progress[0]["loss"].keys() and
        all(p["total_steps"] == total for p in progress),
        "every loss term of the full model is logged; total_steps %d" % total,
        progress[:1])
    steps = [p["step"] for p in progress]
    tap(steps == list(range(1, total + 1)), "log_every 1: one line per step, steps 1..%d" % total,
        steps)
    # docs of the JSON lines (eigml/train/progress.c): epochs count from 1,
    # as in the validation messages and on the terminal bar
    epochs_seen = [p["epoch"] for p in progress]
    tap(epochs_seen == [(s - 1) // STEPS_PER_EPOCH + 1 for s in steps],
        "the JSON epoch counts from 1 and agrees with the step",
        "epochs %s for steps %s" % (epochs_seen, steps))
    maps = validation_maps(messages)
    tap([s for s, _ in maps] == [STEPS_PER_EPOCH * (e + 1) for e in range(epochs)],
        "a validation message at the end of every epoch", [m["message"][:80] for m in messages])
    if maps and said and os.path.isdir(best):
        top = max(m for _, m in maps)
        best_state = state(best)
        first_best = min(s for s, m in maps if m == top)
        tap(abs(best_state["best_map"] - top) < 1e-12 and best_state["step"] == first_best and
            abs(float(said.group(2)) - top) < 6e-5,
            "OUT/best is the model of the best validation MAP (%.4f at step %d)" %
            (top, first_best),
            "best/trainer-state.json %s; stdout MAP %s" % (best_state, said.group(2)))
    else:
        tap(False, "OUT/best is the model of the best validation MAP", "no validation or no best")
    return out


def check_kill_resume(tmp, config):
    """SIGKILL after a checkpoint in the second epoch, --resume: the same
    final weights as a run never interrupted"""
    out2, out3 = os.path.join(tmp, "out2"), os.path.join(tmp, "out3")
    final = "checkpoint-%08d/model.safetensors" % LONG_STEPS
    killed_at = None
    # the checkpoint of step 10 is in the middle of the second epoch (8
    # steps an epoch): resuming crosses an epoch boundary and a validation
    for attempt in range(3):
        shutil.rmtree(out2, ignore_errors=True)
        bg = Background("train", "--config", config, "-o", out2, *LONG, cwd=tmp)
        reached = poll(lambda: (latest_step(out2) or 0) >= 10, TIMEOUT, bg.proc)
        if bg.proc.poll() is None:
            bg.proc.send_signal(signal.SIGKILL)
        rc = bg.wait(60)
        killed_at = latest_step(out2)
        if reached and rc == -signal.SIGKILL and killed_at is not None and killed_at < LONG_STEPS:
            break
        print("# attempt %d: rc %s, latest %s: training ended before the kill; again" %
              (attempt + 1, rc, killed_at), flush=True)
    tap(rc == -signal.SIGKILL and killed_at is not None and 10 <= killed_at < LONG_STEPS,
        "SIGKILL during training, after OUT/latest named checkpoint-00000010 or later",
        "rc %s, latest %s" % (rc, killed_at))
    tap(not os.path.exists(os.path.join(out2, final)), "the killed run had not finished",
        os.listdir(out2))
    r = run("train", "--config", config, "-o", out2, *LONG, "--resume")
    print("# resumed from step %s: %.1f s" % (killed_at, r.seconds), flush=True)
    tap(r.returncode == 0 and r.stdout.startswith("trained %d steps" % LONG_STEPS),
        "--resume runs to the end", show(r))
    tap("resuming from %s at step %s" % (os.path.join(out2, "checkpoint-%08d" % (killed_at or 0)),
                                         killed_at) in r.stderr,
        "--resume says which checkpoint it continues from", r.stderr[:300])
    progress, _, bad = parse_log(r.stderr)
    steps = [p["step"] for p in progress]
    tap(not bad and killed_at is not None and steps == list(range(killed_at + 1, LONG_STEPS + 1)),
        "the resumed run's JSON lines count steps on from the checkpoint (%s..%d)" %
        ((killed_at or 0) + 1, LONG_STEPS), "%s %s" % (bad[:2], steps))
    r3 = run("train", "--config", config, "-o", out3, *LONG)
    print("# uninterrupted %d steps: %.1f s" % (LONG_STEPS, r3.seconds), flush=True)
    tap(r3.returncode == 0, "the same training, uninterrupted, to OUT3", show(r3))
    a, b = os.path.join(out2, final), os.path.join(out3, final)
    if os.path.isfile(a) and os.path.isfile(b):
        equal, why = same_weights(a, b)
        tap(equal, "killed + resumed ends with the uninterrupted run's weights, bit for bit "
            "(%s)" % why, why)
        with open(a, "rb") as fa, open(b, "rb") as fb:
            tap(fa.read() == fb.read(), "the final model.safetensors files are byte-identical")
        sa, sb = state(os.path.dirname(a)), state(os.path.dirname(b))
        tap(sa == sb, "and so are their trainer states", "%s vs %s" % (sa, sb))
        ba, bb = os.path.join(out2, "best", "model.safetensors"), \
            os.path.join(out3, "best", "model.safetensors")
        tap(os.path.isfile(ba) and same_weights(ba, bb)[0] and
            state(os.path.dirname(ba))["best_step"] == state(os.path.dirname(bb))["best_step"],
            "and the two OUT/best models are the same")
    else:
        for name in ("the weights equal", "byte-identical", "trainer states", "best"):
            tap(False, "final checkpoints: " + name, "missing %s or %s" % (a, b))
    return out3


def interrupted_run(tmp, config, out, sig, after_lines, twice=False):
    """trains LONG to @out, sends @sig once @after_lines JSON lines came
    (with @twice, again once the first was acknowledged); a run that ended
    before the signal is tried again. Returns (run, sent, rc, seconds from
    the first signal to the exit)"""
    for attempt in range(3):
        shutil.rmtree(out, ignore_errors=True)
        bg = Background("train", "--config", config, "-o", out, *LONG, cwd=tmp)
        poll(lambda: bg.progress_lines() >= after_lines, TIMEOUT, bg.proc)
        sent = bg.proc.poll() is None
        t = time.monotonic()
        if sent:
            bg.proc.send_signal(sig)
            if twice and poll(lambda: "interrupted;" in bg.stderr, 10, bg.proc) and \
                    bg.proc.poll() is None:
                bg.proc.send_signal(sig)
        rc = bg.wait(SIGNAL_TIMEOUT)
        took = time.monotonic() - t
        if sent:
            break
        print("# attempt %d: training ended before the signal; again" % (attempt + 1), flush=True)
    return bg, sent, rc, took


def check_interrupt(tmp, config, out3):
    """Ctrl-C: a checkpoint, exit status 130; --resume finishes"""
    out = os.path.join(tmp, "out-int")
    bg, running, rc, took = interrupted_run(tmp, config, out, signal.SIGINT, 3)
    print("# SIGINT to exit: %.2f s" % took, flush=True)
    tap(running and rc == 130,
        "SIGINT after 3 steps: exit status 130 within %d s" % SIGNAL_TIMEOUT,
        "running %s, rc %s after %.1f s; %r" % (running, rc, took, bg.stderr[-300:]))
    stopped = re.search(r"eigml train: stopped at step (\d+); checkpoint saved; resume with: "
                        r"eigml train --resume", bg.stderr)
    tap(stopped and "interrupted; saving a checkpoint" in bg.stderr,
        "stderr says it was interrupted and that a checkpoint was saved", bg.stderr[-400:])
    tap(bg.stdout == "", "nothing on stdout (training did not finish)", bg.stdout)
    step = int(stopped.group(1)) if stopped else None
    progress, _, bad = parse_log(bg.stderr)
    tap(step is not None and 3 <= step < LONG_STEPS and latest_step(out) == step and
        state(os.path.join(out, "checkpoint-%08d" % step))["step"] == step and
        progress and progress[-1]["step"] == step,
        "OUT/latest names checkpoint-%08d of the printed step, its trainer state and the last "
        "JSON line agree" % (step or 0),
        "printed %s, latest %s, last line %s" % (step, latest_step(out),
                                                 progress[-1]["step"] if progress else None))
    tap(not bad, "the interrupted run's stderr is JSON lines and documented messages", bad[:3])
    r = run("train", "--config", config, "-o", out, *LONG, "--resume")
    tap(r.returncode == 0 and r.stdout.startswith("trained %d steps" % LONG_STEPS),
        "--resume after Ctrl-C runs to the end", show(r))
    final = "checkpoint-%08d/model.safetensors" % LONG_STEPS
    a, b = os.path.join(out, final), os.path.join(out3, final)
    tap(os.path.isfile(a) and os.path.isfile(b) and same_weights(a, b)[0],
        "interrupted + resumed ends with the uninterrupted run's weights",
        same_weights(a, b)[1] if os.path.isfile(a) and os.path.isfile(b) else "missing")

    # SIGTERM is Ctrl-C's twin
    out_t = os.path.join(tmp, "out-term")
    bg, running, rc, took = interrupted_run(tmp, config, out_t, signal.SIGTERM, 2)
    m = re.search(r"stopped at step (\d+); checkpoint saved", bg.stderr)
    tap(running and rc == 130 and m and latest_step(out_t) == int(m.group(1)),
        "SIGTERM: a checkpoint, exit status 130", "rc %s: %r" % (rc, bg.stderr[-300:]))

    # a second Ctrl-C exits at once (or the checkpoint was quicker)
    out_2 = os.path.join(tmp, "out-twice")
    bg, running, rc, took = interrupted_run(tmp, config, out_2, signal.SIGINT, 2, twice=True)
    tap(running and rc == 130 and took < SIGNAL_TIMEOUT and
        ("interrupted twice; exiting without a checkpoint" in bg.stderr or
         "checkpoint saved" in bg.stderr),
        "a second SIGINT: exit status 130", "rc %s: %r" % (rc, bg.stderr[-300:]))


def check_eval(tmp, fix, out):
    best = os.path.join(out, "best")
    preds = os.path.join(best, "predictions-test.jsonl")
    r = run("eval", "--data", fix, "--format", "jsonl", "--split", "test", "--checkpoint", best,
            "--json", "--n-candidates", 4, cwd=tmp)
    print("# eval on 8 examples: %.1f s" % r.seconds, flush=True)
    metrics = None
    try:
        lines = r.stdout.splitlines()
        metrics = json.loads(r.stdout) if len(lines) == 1 else None
    except ValueError:
        pass
    tap(r.returncode == 0 and isinstance(metrics, dict),
        "eval --checkpoint OUT/best --json: exactly one JSON object on stdout", show(r))
    metrics = metrics if isinstance(metrics, dict) else {}
    tap(metrics.keys() == METRIC_KEYS and metrics["examples"] == 8 and
        all(0.0 <= metrics[k] <= 1.0 for k in METRIC_KEYS - {"examples"}),
        "keys MAP, MRR, R10@1, R10@2, R10@5, examples (8); values in [0, 1]", metrics)
    tap(metrics.get("R10@1", 2) <= metrics.get("R10@2", -1) <= metrics.get("R10@5", -2) and
        metrics.get("R10@1", 2) <= metrics.get("MRR", -1),
        "R10@1 <= R10@2 <= R10@5, R10@1 <= MRR", metrics)
    rows = []
    if os.path.isfile(preds):
        with open(preds) as f:
            rows = [json.loads(l) for l in f if l.strip()]
    ok = len(rows) == 8 and all({"id", "scores", "ranking", "rank"} <= row.keys() for row in rows)
    tap(ok, "the predictions file (OUT/best/predictions-test.jsonl) has 8 JSON lines with "
        "id, scores, ranking, rank", rows[:1] if rows else "no %s" % preds)
    why = []
    for row in rows:
        sc, rk = row.get("scores", []), row.get("ranking", [])
        if len(sc) != 4 or sorted(rk) != list(range(4)):
            why.append("%s: %d scores, ranking %s" % (row.get("id"), len(sc), rk))
        elif any(sc[rk[i]] < sc[rk[i + 1]] for i in range(3)):
            why.append("%s: ranking %s does not sort %s" % (row["id"], rk, sc))
        elif not all(0.0 <= s <= 1.0 for s in sc):
            why.append("%s: scores %s" % (row["id"], sc))
        elif "positives" in row and row["rank"] != 1 + min(rk.index(p) for p in row["positives"]):
            why.append("%s: rank %s, ranking %s, positives %s" % (row["id"], row["rank"], rk,
                                                                   row["positives"]))
    tap(rows and not why, "each prediction: 4 scores in [0, 1], the ranking sorts them, rank is "
        "the positive's place", why[:3])
    ids = sorted(row.get("id") for row in rows)
    tap(ids == sorted("e%d" % i for i in range(40, 48)), "the predictions are the test split's "
        "examples e40..e47", ids)
    if rows and metrics:
        mrr = sum(1.0 / row["rank"] for row in rows) / len(rows)
        r1 = sum(row["rank"] == 1 for row in rows) / len(rows)
        tap(abs(mrr - metrics["MRR"]) < 1e-9 and abs(r1 - metrics["R10@1"]) < 1e-9,
            "MRR and R10@1 recomputed from the predictions agree (%.4f, %.4f)" % (mrr, r1),
            "%s %s vs %s" % (mrr, r1, metrics))
    else:
        tap(False, "MRR and R10@1 recomputed from the predictions agree", "no data")
    again = run("eval", "--data", fix, "--format", "jsonl", "--split", "test", "--checkpoint",
                best, "--json", "--n-candidates", 4, "--predictions",
                os.path.join(tmp, "p2.jsonl"), cwd=tmp)
    tap(again.returncode == 0 and again.stdout == r.stdout,
        "eval is deterministic: the same metrics twice", "%r vs %r" % (again.stdout, r.stdout))

    # an untrained baseline
    rnd_dir = os.path.join(tmp, "random-cwd")
    os.makedirs(rnd_dir)
    r = run("eval", "--data", fix, "--format", "jsonl", "--split", "test", "--config",
            os.path.join(fix, "config.json"), "--init", "random", "--json", cwd=rnd_dir)
    try:
        m = json.loads(r.stdout)
    except ValueError:
        m = {}
    tap(r.returncode == 0 and isinstance(m, dict) and m.get("examples") == 8 and
        m.keys() == METRIC_KEYS and all(0.0 <= m[k] <= 1.0 for k in METRIC_KEYS - {"examples"}),
        "eval --config --init random --json: an untrained baseline on 8 examples", show(r))
    p = os.path.join(rnd_dir, "predictions-test.jsonl")
    n = sum(1 for _ in open(p)) if os.path.isfile(p) else 0
    tap(n == 8, "with --init random the predictions go to the current folder", os.listdir(rnd_dir))

    # the table
    r = run("eval", "--data", fix, "--format", "jsonl", "--split", "test", "--checkpoint", best,
            "--n-candidates", 4, cwd=tmp)
    row = re.search(r"^MAP\s+([0-9.]+)\s*$", r.stdout, re.M)
    tap(r.returncode == 0 and row and "MAP" in r.stdout and "8 examples" in r.stdout,
        "eval without --json prints a table with MAP", show(r))
    tap(row and "MAP" in metrics and float(row.group(1)) == round(100 * metrics["MAP"], 2) and
        "predictions: %s" % preds in r.stdout,
        "the table's MAP is the JSON's, in percent; it names the predictions file",
        "%s vs %s" % (row.group(1) if row else None, metrics.get("MAP")))


def check_select(tmp, fix, out):
    best = os.path.join(out, "best")
    stickers = os.path.join(fix, "stickers")
    args = ["select", "--checkpoint", best, "--dialogue", "red green", "--dialogue", "owl",
            "--stickers", stickers, "--top", 5]
    r = run(*args, cwd=tmp)
    lines = r.stdout.splitlines()
    # the annotator's emotion of the dialogue, then the table
    emotion_line = lines.pop(0) if lines and lines[0].startswith("emotion: ") else None
    rows = [re.fullmatch(r"\s*(\d+)\s+([0-9.]+)\s+(\S+)", l) for l in lines[1:]]
    tap(r.returncode == 0 and emotion_line is not None and len(lines) == 6
        and lines[0].split() == ["rank", "score", "sticker"]
        and all(rows), "select --top 5: the emotion, a header and 5 ranked lines", show(r))
    rows = [m.groups() for m in rows if m]
    scores = [float(s) for _, s, _ in rows]
    tap(len(rows) == 5 and [int(k) for k, _, _ in rows] == [1, 2, 3, 4, 5] and
        all(0.0 <= s <= 1.0 for s in scores) and scores == sorted(scores, reverse=True) and
        all(os.path.dirname(p) == stickers and os.path.isfile(p) for _, _, p in rows) and
        len({p for _, _, p in rows}) == 5,
        "5 different stickers of the folder, scores in [0, 1], best first", rows)
    rj = run(*args, "--json", cwd=tmp)
    try:
        doc = json.loads(rj.stdout)
    except ValueError:
        doc = None
    res = doc.get("results") if isinstance(doc, dict) else None
    tap(rj.returncode == 0 and isinstance(res, list) and len(res) == 5 and
        all(x.keys() == {"sticker", "score"} for x in res),
        "select --json: {\"results\": [...]} of 5 entries", show(rj))
    tap(res and [x["sticker"] for x in res] == [p for _, _, p in rows] and
        all(abs(x["score"] - s) <= 5e-5 for x, s in zip(res, scores)),
        "--json ranks the same stickers with the same scores", "%s vs %s" % (res, rows))
    ra = run("select", "--checkpoint", best, "--dialogue", "red green", "--dialogue", "owl",
             "--stickers", stickers, "--top", 0, "--json", cwd=tmp)
    every = select_results(ra)
    tap(len(every) == N_STICKERS and res and every[:5] == res,
        "--top 0 ranks all %d stickers, the same top 5" % N_STICKERS, show(ra))
    re_ = run("select", "--checkpoint", best, "--dialogue", "red green", "--stickers", stickers,
              "--top", 3, "--emotion", "乐", "--json", cwd=tmp)
    emo = select_results(re_)
    tap(re_.returncode == 0 and len(emo) == 3 and all(0.0 <= x["score"] <= 1.0 for x in emo),
        "select --emotion 乐 works", show(re_))
    ri = run("select", "--checkpoint", best, "--dialogue", "red green", "--dialogue", "owl",
             "--stickers", stickers, "--top", 0, "--json", "--intent-source", "fallback", cwd=tmp)
    knowing = select_results(ri)
    before = {x["sticker"]: x["score"] for x in every}
    tap(ri.returncode == 0 and len(knowing) == N_STICKERS and
        all(0.0 <= x["score"] <= 1.0 for x in knowing) and
        any(abs(x["score"] - before.get(x["sticker"], -1)) > 1e-6 for x in knowing),
        "select --intent-source fallback: the fallback's knowledge changes the scores", show(ri))

    # a checkpoint records how it was trained; select and eval default to it
    trained = state(best)
    tap(trained.get("emotion_source") == "dataset" and trained.get("intent_source") == "none",
        "trainer-state.json records the emotion and knowledge sources of training",
        {k: trained.get(k) for k in ("emotion_source", "intent_source")})
    as_fallback = os.path.join(tmp, "trained-with-fallback")
    shutil.rmtree(as_fallback, ignore_errors=True)
    shutil.copytree(best, as_fallback)
    with open(os.path.join(as_fallback, "trainer-state.json"), "w") as f:
        json.dump(dict(trained, emotion_source="annotator", intent_source="fallback"), f)
    rd = run("select", "--checkpoint", as_fallback, "--dialogue", "red green", "--dialogue", "owl",
             "--stickers", stickers, "--top", 0, "--json", cwd=tmp)
    defaulted = select_results(rd)
    tap(rd.returncode == 0 and "offline fallback, as" in rd.stderr and
        [x["sticker"] for x in defaulted] == [x["sticker"] for x in knowing] and
        all(abs(a["score"] - b["score"]) <= 1e-6 for a, b in zip(defaulted, knowing)) and
        len(defaulted) == N_STICKERS,
        "select without --intent-source uses the fallback a checkpoint was trained with, "
        "and says so", show(rd))
    rn = run("select", "--checkpoint", as_fallback, "--dialogue", "red green", "--dialogue", "owl",
             "--stickers", stickers, "--top", 0, "--json", "--intent-source", "none", cwd=tmp)
    plain = select_results(rn)
    tap(rn.returncode == 0 and "fallback" not in rn.stderr and len(plain) == N_STICKERS and
        all(abs(x["score"] - before.get(x["sticker"], -1)) <= 1e-6 for x in plain),
        "--intent-source none overrides the checkpoint's fallback", show(rn))
    evals = []
    for extra in ((), ("--intent-source", "fallback", "--emotion-source", "annotator")):
        re2 = run("eval", "--data", fix, "--format", "jsonl", "--split", "test", "--checkpoint",
                  as_fallback, "--json", "--n-candidates", 4, "--predictions",
                  os.path.join(tmp, "defaults-preds.jsonl"), *extra, cwd=tmp)
        evals.append((re2, re2.stdout.strip()))
    tap(all(r.returncode == 0 for r, _ in evals) and evals[0][1] == evals[1][1] and
        "lexicon annotator's, as" in evals[0][0].stderr and "offline fallback, as" in evals[0][0].stderr,
        "eval without --emotion-source and --intent-source uses the checkpoint's, and says so",
        [show(r) for r, _ in evals])
    with open(os.path.join(as_fallback, "trainer-state.json"), "w") as f:
        json.dump(dict(trained, intent_source=3), f)
    rb = run("select", "--checkpoint", as_fallback, "--dialogue", "owl", "--stickers", stickers,
             cwd=tmp)
    ok, why = is_clean_error(rb, "trainer-state.json", "intent_source", "expected a string")
    tap(ok and rb.stdout == "", "a malformed trainer-state.json: a clean error naming the member",
        why)


def check_errors(tmp, fix, out):
    config = os.path.join(fix, "config.json")
    best = os.path.join(out, "best")

    r = run("train", "-o", os.path.join(tmp, "never"), cwd=tmp)
    ok, why = is_clean_error(r, "--config")
    tap(ok and not os.path.exists(os.path.join(tmp, "never")), "train without --config", why)

    bad = os.path.join(fix, "bad-member.json")
    with open(bad, "w") as f:
        json.dump(dict(CONFIG, epochz=3), f)
    r = run("train", "--config", bad, "-o", os.path.join(tmp, "never"), cwd=tmp)
    ok, why = is_clean_error(r, "bad-member.json", "unknown member", "epochz")
    tap(ok, "a config with an unknown member is refused, naming it", why)

    r = run("train", "--config", config, "--set", "train.lr=fast", "-o",
            os.path.join(tmp, "never"), cwd=tmp)
    ok, why = is_clean_error(r, "train.lr")
    tap(ok and not os.path.exists(os.path.join(tmp, "never")), "--set train.lr=fast", why)

    r = run("train", "--config", config, "--set", "train.epocs=3", "-o",
            os.path.join(tmp, "never"), cwd=tmp)
    ok, why = is_clean_error(r, "train.epocs")
    tap(ok, "--set of an unknown trainer option", why)

    r = run("train", "--config", os.path.join(fix, "no-such.json"), cwd=tmp)
    ok, why = is_clean_error(r, "no-such.json")
    tap(ok, "train with a missing config file", why)

    missing = os.path.join(tmp, "no-such-dataset")
    r = run("eval", "--data", missing, "--format", "jsonl", "--checkpoint", best, cwd=tmp)
    ok, why = is_clean_error(r, "no-such-dataset")
    tap(ok, "eval on a missing folder", why)

    hollow = os.path.join(tmp, "hollow")
    os.makedirs(hollow)
    for f in ("config.json", "vocab.txt"):
        shutil.copy(os.path.join(best, f), hollow)
    r = run("eval", "--data", fix, "--format", "jsonl", "--checkpoint", hollow,
            "--n-candidates", 4, cwd=tmp)
    ok, why = is_clean_error(r, "model.safetensors")
    tap(ok, "eval with a checkpoint folder lacking model.safetensors", why)

    empty = os.path.join(tmp, "no-stickers")
    os.makedirs(empty)
    with open(os.path.join(empty, "README.txt"), "w") as f:
        f.write("not an image\n")
    r = run("select", "--checkpoint", best, "--dialogue", "hi", "--stickers", empty, cwd=tmp)
    ok, why = is_clean_error(r, "no-stickers")
    tap(ok and r.stdout == "", "select with a folder without sticker images", why)

    r = run("select", "--checkpoint", best, "--dialogue", "hi", "--stickers",
            os.path.join(fix, "stickers"), "--emotion", "happy", cwd=tmp)
    ok, why = is_clean_error(r, "--emotion")
    tap(ok, "select with an unknown --emotion", why)

    r = run("select", "--checkpoint", best, "--dialogue", "hi", "--stickers",
            os.path.join(fix, "stickers"), "--intent-source", "comet", cwd=tmp)
    ok, why = is_clean_error(r, "--intent-source")
    tap(ok and r.stdout == "", "select with an unknown --intent-source", why)

    # a broken line 3 in test.jsonl
    broken = os.path.join(tmp, "broken")
    os.makedirs(broken)
    shutil.copytree(os.path.join(fix, "stickers"), os.path.join(broken, "stickers"))
    with open(os.path.join(fix, "test.jsonl")) as f:
        lines = f.read().splitlines()
    lines[2] = '{"id": "e42", "dialogue": ['
    with open(os.path.join(broken, "test.jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")
    base = ["eval", "--data", broken, "--format", "jsonl", "--split", "test", "--checkpoint",
            best, "--n-candidates", 4, "--json", "--predictions",
            os.path.join(tmp, "broken-predictions.jsonl")]
    r = run(*base, cwd=tmp)
    ok, why = is_clean_error(r, "test.jsonl:3")
    tap(ok and r.stdout == "", "eval on a JSONL file with a broken line: the error names "
        "file:line (test.jsonl:3)", why)
    r = run(*base, "--skip-bad", cwd=tmp)
    try:
        m = json.loads(r.stdout)
    except ValueError:
        m = {}
    tap(r.returncode == 0 and m.get("examples") == 7 and
        re.search(r"skipped 1 malformed example", r.stderr),
        "--skip-bad evaluates the 7 good examples and reports 1 skipped on stderr", show(r))

    # a broken training file
    bt = os.path.join(tmp, "broken-train")
    shutil.copytree(fix, bt)
    with open(os.path.join(bt, "train.jsonl")) as f:
        lines = f.read().splitlines()
    lines[4] = "not json"
    with open(os.path.join(bt, "train.jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")
    r = run("train", "--config", os.path.join(bt, "config.json"), "-o",
            os.path.join(tmp, "never"), cwd=tmp)
    ok, why = is_clean_error(r, "train.jsonl:5")
    tap(ok, "train on a JSONL file with a broken line names file:line (train.jsonl:5)", why)

    # resume refuses a run with another data order
    r = run("train", "--config", config, "-o", out, "--resume", "--set", "train.batch_size=2",
            cwd=tmp)
    ok, why = is_clean_error(r, "batch size")
    tap(ok, "--resume with another batch size is refused", why)


def main():
    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="eigml-e2e-")
    try:
        fix = os.path.join(tmp, "data")
        os.makedirs(fix)
        config = make_fixture(fix)
        out = check_train(tmp, config)
        out3 = check_kill_resume(tmp, config)
        check_interrupt(tmp, config, out3)
        check_eval(tmp, fix, out)
        check_select(tmp, fix, out)
        check_errors(tmp, fix, out)
    except Exception as e:  # noqa: BLE001 - a bug here is a failure, not a crash
        import traceback
        for line in traceback.format_exc().splitlines():
            print("# " + line)
        tap(False, "the test ran to the end", repr(e))
    finally:
        if os.environ.get("EIGML_TEST_KEEP"):
            print("# kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("# %.1f s in all" % (time.monotonic() - t0))
    print("1..%d" % len(results))
    sys.exit(0 if all(results) else 1)


main()
