#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Data-parallel training under mpirun (suite mpi; docs/scaling.md), on the
CPU backend and the tiny dataset and model of tests/e2e/test_cli.py:

- `mpirun -np 2` with per-rank batch b ends, after 10 steps, with the
  weights of one process with batch b and gradient accumulation 2 (within
  1e-5 relative; bit for bit is reported), the same validation metrics and
  the same logged losses; the difference to one batch of 2b is reported;
- a checkpoint of 2 ranks resumes on 1 process (gradient accumulation
  becomes 2) and one of 1 process with accumulation 2 on 2 ranks, both
  ending with the uninterrupted run's weights;
- `kill -9` of one rank: mpirun exits non-zero within 60 s naming rank 1;
- a hung rank (SIGSTOP) with EIGML_MPI_TIMEOUT=5: the job exits non-zero
  within 60 s and the message names rank 1.

Prints TAP. argv[1]: the eigml tool; argv[2]: mpirun (fails, never skips,
when it is missing: the build has MPI). EIGML_TEST_KEEP=1 keeps the folder."""

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

EIGML = os.path.abspath(sys.argv[1])
MPIRUN = sys.argv[2] if len(sys.argv) > 2 else "mpirun"
HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 300
STEPS = 10
results = []

# the fixture, the safetensors reader and the TAP helpers of the e2e test
# (its module body ends by running its own main(), so only the part before
# that is taken)
with open(os.path.join(HERE, "..", "e2e", "test_cli.py"), encoding="utf-8") as f:
    _src = f.read()
_helpers = {"__name__": "test_cli_helpers", "__file__": "test_cli.py"}
_saved_argv = sys.argv
sys.argv = [sys.argv[0], EIGML]
exec(compile(_src[:_src.index("\ndef main():")], "test_cli.py", "exec"), _helpers)
sys.argv = _saved_argv
make_fixture, tensors = _helpers["make_fixture"], _helpers["tensors"]


def tap(ok, name, why=""):
    results.append(bool(ok))
    why = " ".join(str(why).split())[:600]
    print("%s %d - %s%s" % ("ok" if ok else "not ok", len(results), name,
                            "" if ok else " # " + why), flush=True)
    return ok


def env1():
    """one kernel thread per process: two ranks share this machine's two
    cores, and the reference runs with the same threads"""
    e = dict(os.environ)
    e["OMP_NUM_THREADS"] = "1"
    e["EIGML_BACKEND"] = "cpu"
    e.setdefault("EIGML_MPI_TIMEOUT", "60")
    return e


def mpirun_args(n):
    args = [MPIRUN, "--oversubscribe", "-np", str(n), "-x", "OMP_NUM_THREADS", "-x",
            "EIGML_BACKEND", "-x", "EIGML_MPI_TIMEOUT"]
    if os.geteuid() == 0:
        args.insert(1, "--allow-run-as-root")
    return args


def train(config, out, *extra, ranks=1, env=None):
    cmd = [EIGML, "train", "--config", config, "-o", out, *extra]
    if ranks > 1:
        cmd = mpirun_args(ranks) + cmd
    t = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, env=env or env1())
    r.seconds = time.monotonic() - t
    return r


def show(r):
    return "rc %s; stdout %r; stderr %r" % (r.returncode, r.stdout[-300:], r.stderr[-600:])


def logged(stderr):
    """(losses by step, validation metrics by step) from the JSON lines"""
    losses, metrics = {}, {}
    for line in stderr.splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if "loss" in obj:
            losses[obj["step"]] = obj["loss"]
        m = re.match(r"validation at step (\d+) \(epoch \d+\): (.*)", obj.get("message", ""))
        if m:
            metrics[int(m.group(1))] = json.loads(m.group(2))
    return losses, metrics


def compare(a, b):
    """(max relative difference over tensors, bit for bit)"""
    ta, tb = tensors(a), tensors(b)
    if ta.keys() != tb.keys():
        return float("inf"), False
    worst, exact = 0.0, True
    for k in ta:
        x, y = ta[k].astype(np.float64), tb[k].astype(np.float64)
        scale = max(np.max(np.abs(y)), 1e-30)
        worst = max(worst, float(np.max(np.abs(x - y)) / scale))
        exact = exact and ta[k].tobytes() == tb[k].tobytes()
    return worst, exact


def final(out, step=STEPS):
    return os.path.join(out, "checkpoint-%08d" % step, "model.safetensors")


COMMON = ["--set", "train.epochs=3", "--set", "train.max_steps=%d" % STEPS,
          "--set", "train.checkpoint_every=2", "--set", "train.keep_checkpoints=10"]


def check_equivalence(tmp, config):
    np2 = os.path.join(tmp, "np2")
    ref = os.path.join(tmp, "accum2")
    big = os.path.join(tmp, "batch8")
    r2 = train(config, np2, *COMMON, ranks=2)
    tap(r2.returncode == 0, "mpirun -np 2 eigml train (batch 4 per rank) runs %d steps" % STEPS,
        show(r2))
    print("# -np 2: %.1f s" % r2.seconds, flush=True)
    rr = train(config, ref, *COMMON, "--set", "train.grad_accum=2")
    tap(rr.returncode == 0, "one process, batch 4, grad_accum 2", show(rr))
    rb = train(config, big, *COMMON, "--set", "train.batch_size=8")
    tap(rb.returncode == 0, "one process, batch 8", show(rb))
    if not (r2.returncode == rr.returncode == 0):
        return np2, ref
    rel, exact = compare(final(np2), final(ref))
    tap(rel <= 1e-5, "2 ranks x batch 4 = 1 process x batch 4 x grad_accum 2 after %d steps "
        "(max relative difference %.3g; bit for bit: %s)" % (STEPS, rel, exact), rel)
    print("# weights bit for bit equal: %s" % exact, flush=True)
    (l2, m2), (lr, mr) = logged(r2.stderr), logged(rr.stderr)
    tap(m2 and m2 == mr, "sharded validation metrics equal the single process's (%s)" %
        sorted(m2), "%s vs %s" % (m2, mr))
    tap(sorted(l2) == list(range(1, STEPS + 1)) and l2 == lr,
        "rank 0 logs every step, with the single process's losses",
        "%s vs %s" % (sorted(l2), sorted(lr)))
    if rb.returncode == 0:
        relb, _ = compare(final(np2), final(big))
        _, mb = logged(rb.stderr)
        print("# reported, not asserted: 2 ranks x batch 4 vs one batch of 8 (in-batch "
              "contrastive negatives differ): max relative weight difference %.3g; "
              "validation MAP %s vs %s" % (relb, {k: v["MAP"] for k, v in m2.items()},
                                           {k: v["MAP"] for k, v in mb.items()}), flush=True)
    return np2, ref


def check_eval(tmp, config, np2):
    """mpirun eigml eval: the shards' scores gathered on rank 0 give the
    single process's metrics and the same predictions file, with 2 and 3
    ranks (uneven shards: 3 ranks over 16 examples in batches of 4)"""
    ckpt = os.path.join(np2, "best")
    data = os.path.dirname(config)
    if not os.path.isdir(ckpt):
        tap(False, "mpirun eigml eval needs the 2-rank run's checkpoint")
        return

    def evaluate(ranks, pred):
        cmd = [EIGML, "eval", "--data", data, "--format", "jsonl", "--split", "test",
               "--checkpoint", ckpt, "--batch-size", "2", "--json", "-p", pred]
        if ranks > 1:
            cmd = mpirun_args(ranks) + cmd
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, env=env1())
        try:
            return r, json.loads(r.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return r, None

    p1 = os.path.join(tmp, "pred-1.jsonl")
    r1, m1 = evaluate(1, p1)
    tap(r1.returncode == 0 and m1 is not None and m1["examples"] == 8,
        "eigml eval in one process", show(r1))
    for n in (2, 3):
        pn = os.path.join(tmp, "pred-%d.jsonl" % n)
        rn, mn = evaluate(n, pn)
        same = rn.returncode == 0 and mn == m1 and os.path.exists(pn) and \
            open(pn, "rb").read() == open(p1, "rb").read()
        tap(same and rn.stdout.count("{") == 1,
            "mpirun -np %d eigml eval: rank 0 alone reports the single process's metrics and "
            "predictions (%s)" % (n, mn), show(rn))


def rewind(src, dst, step):
    """a copy of run @src as if it had stopped after checkpoint @step"""
    shutil.copytree(src, dst)
    for d in glob.glob(os.path.join(dst, "checkpoint-*")):
        if int(d.rsplit("-", 1)[1]) > step:
            shutil.rmtree(d)
    shutil.rmtree(os.path.join(dst, "best"), ignore_errors=True)
    with open(os.path.join(dst, "latest"), "w") as f:
        f.write("checkpoint-%08d\n" % step)


def check_resume(tmp, config, np2, ref):
    if not (os.path.exists(final(np2)) and os.path.exists(final(ref))):
        tap(False, "resume checks need both runs")
        return
    # 2 ranks -> 1 process: grad_accum 1 in the config becomes 2
    out = os.path.join(tmp, "resume-2-to-1")
    rewind(np2, out, 6)
    r = train(config, out, *COMMON, "--resume")
    ok = r.returncode == 0 and os.path.exists(final(out))
    tap(ok and "gradient accumulation 2 instead of 1" in r.stderr,
        "a 2-rank checkpoint resumes on 1 process with grad_accum 2", show(r))
    if ok:
        rel, exact = compare(final(out), final(np2))
        tap(rel <= 1e-5, "resumed 2 -> 1 at step 6 ends with the 2-rank run's weights "
            "(max relative difference %.3g, bit for bit: %s)" % (rel, exact), rel)
    # 1 process with grad_accum 2 -> 2 ranks (grad_accum 1)
    out = os.path.join(tmp, "resume-1-to-2")
    rewind(ref, out, 6)
    r = train(config, out, *COMMON, "--resume", ranks=2)
    ok = r.returncode == 0 and os.path.exists(final(out))
    tap(ok and "resuming from" in r.stderr, "a 1-process checkpoint resumes on 2 ranks", show(r))
    if ok:
        rel, exact = compare(final(out), final(ref))
        tap(rel <= 1e-5, "resumed 1 -> 2 at step 6 ends with the 1-process run's weights "
            "(max relative difference %.3g, bit for bit: %s)" % (rel, exact), rel)
    # 2 micro-batches per step cannot be split over 3 ranks: refused
    out = os.path.join(tmp, "resume-refused")
    rewind(ref, out, 6)
    r = train(config, out, *COMMON, "--resume", ranks=3)
    tap(r.returncode != 0 and "data order" in r.stderr,
        "3 ranks cannot resume a run of 2 micro-batches per step", show(r))


def rank_pid(stderr_path, rank, deadline):
    pat = re.compile(r"rank %d of \d+ \(local \d+, pid (\d+)\)" % rank)
    while time.monotonic() < deadline:
        with open(stderr_path, errors="replace") as f:
            text = f.read()
        m = pat.search(text)
        steps = len(re.findall(r'"step":', text))
        if m and steps >= 3:
            return int(m.group(1))
        time.sleep(0.2)
    return None


def check_failure(tmp, config, how):
    """@how: "kill" (SIGKILL) or "hang" (SIGSTOP) rank 1 mid-run"""
    out = os.path.join(tmp, "fail-" + how)
    err = os.path.join(tmp, "fail-%s.err" % how)
    env = env1()
    env["EIGML_MPI_TIMEOUT"] = "5" if how == "hang" else "60"
    cmd = mpirun_args(2) + [EIGML, "train", "--config", config, "-o", out,
                            "--set", "train.epochs=1000"]
    with open(err, "w") as ferr:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=ferr, env=env)
    pid = rank_pid(err, 1, time.monotonic() + 120)
    rc, seconds = None, None
    try:
        if pid is None:
            tap(False, "%s: rank 1 started and trained" % how, open(err).read()[-600:])
            return
        t = time.monotonic()
        os.kill(pid, signal.SIGKILL if how == "kill" else signal.SIGSTOP)
        try:
            rc = proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            rc = None
        seconds = time.monotonic() - t
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if pid is not None:
            for s in (signal.SIGCONT, signal.SIGKILL):
                try:
                    os.kill(pid, s)
                except ProcessLookupError:
                    pass
    text = open(err, errors="replace").read()
    lines = [l for l in text.splitlines() if "rank 1" in l and not l.startswith("eigml train: rank")]
    print("# %s: exit %s after %.1f s; %s" % (how, rc, seconds, lines[:2]), flush=True)
    tap(rc is not None and rc != 0 and seconds < 60,
        "%s rank 1 mid-run: the job exits non-zero within 60 s (%.1f s, status %s)" %
        ("kill -9" if how == "kill" else "SIGSTOP (hang)", seconds, rc), text[-600:])
    want = r"rank 1 did not (reach|respond)" if how == "hang" else r"rank 1\b"
    tap(any(re.search(want, l) for l in lines), "%s: the message names the lost rank" % how,
        text[-600:])


def main():
    t0 = time.monotonic()
    if shutil.which(MPIRUN) is None:
        tap(False, "mpirun (%s) is found: Eigml was built with MPI, so the mpi suite needs "
            "openmpi-bin" % MPIRUN)
        print("1..%d" % len(results))
        sys.exit(1)
    tmp = tempfile.mkdtemp(prefix="eigml-mpi-")
    try:
        fix = os.path.join(tmp, "data")
        os.makedirs(fix)
        config = make_fixture(fix)
        np2, ref = check_equivalence(tmp, config)
        check_eval(tmp, config, np2)
        check_resume(tmp, config, np2, ref)
        check_failure(tmp, config, "kill")
        check_failure(tmp, config, "hang")
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
