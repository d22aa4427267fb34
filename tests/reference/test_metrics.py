#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""EigmlMetrics against the definitions of /work/shared/DATA.md ("Metrics")
and docs/metrics.md, implemented here directly with numpy.

Eigml is driven through GObject Introspection (PyGObject): run with
GI_TYPELIB_PATH=build/gir and LD_LIBRARY_PATH=build/eigml, as meson's
'reference' suite does. The reference side is, per example,

    order = candidates sorted by score, descending
    R10@k = positives in the top k / positives in the row
    AP    = mean over the positives of (positives up to it) / its rank
    RR    = 1 / rank of the first positive
    DSTC10 "MAP" = 1 / rank of the answer if rank <= 5 else 0

and MAP, MRR, R10@k are means over examples. Scores are continuous random
numbers (no ties), except in the tie checks, where the permutation of
docs/metrics.md is written out again here. Prints TAP.
"""

import json
import math
import os
import sys
import tempfile
import traceback

import gi
import numpy as np

gi.require_version("Eigml", "1.0")
from gi.repository import Eigml, GLib  # noqa: E402

TOL = 1e-9
results = []
measured = {}


def check(name, fn):
    try:
        note = fn()
        results.append((True, name, note or ""))
    except Exception:  # noqa: BLE001 - every failure becomes a TAP line
        results.append((False, name, traceback.format_exc()))


def reference_example(scores, labels):
    """Ranks of the positives (1-based, ascending), AP, RR."""
    order = np.argsort(-scores.astype(np.float64), kind="stable")
    ranked_labels = labels[order]
    ranks = np.nonzero(ranked_labels)[0] + 1
    ap = float(np.mean(np.arange(1, len(ranks) + 1) / ranks))
    return ranks, ap, 1.0 / ranks[0]


def reference_metrics(rows, dstc10=False):
    aps, rrs, recalls = [], [], {1: [], 2: [], 5: []}
    for scores, labels in rows:
        ranks, ap, rr = reference_example(scores, labels)
        if dstc10:
            assert len(ranks) == 1
            ap = 1.0 / ranks[0] if ranks[0] <= 5 else 0.0
        aps.append(ap)
        rrs.append(rr)
        for k in recalls:
            recalls[k].append(np.sum(ranks <= k) / len(ranks))
    out = {"MAP": np.mean(aps), "MRR": np.mean(rrs)}
    out.update({"R10@%d" % k: np.mean(v) for k, v in recalls.items()})
    return out


def random_rows(rng, n_examples, n_candidates, max_positives):
    rows = []
    for _ in range(n_examples):
        while True:
            scores = rng.standard_normal(n_candidates).astype(np.float32)
            if len(np.unique(scores)) == n_candidates:
                break
        labels = np.zeros(n_candidates, dtype=bool)
        n_pos = rng.integers(1, max_positives + 1)
        labels[rng.choice(n_candidates, size=n_pos, replace=False)] = True
        rows.append((scores, labels))
    return rows


def eigml_metrics(rows, kind=Eigml.MetricsKind.STANDARD, seed=None):
    metrics = Eigml.Metrics.new(kind)
    if seed is not None:
        metrics.set_seed(seed)
    for i, (scores, labels) in enumerate(rows):
        metrics.add("ex%06d" % i, scores.tolist(), labels.tolist())
    return metrics


def compare(metrics, expected):
    got = {"MAP": metrics.get_map(), "MRR": metrics.get_mrr(),
           "R10@1": metrics.get_recall(1), "R10@2": metrics.get_recall(2),
           "R10@5": metrics.get_recall(5)}
    worst = max(abs(got[k] - expected[k]) for k in expected)
    assert worst <= TOL, "got %s, expected %s" % (got, expected)
    as_json = json.loads(metrics.to_json())
    assert list(as_json) == ["MAP", "MRR", "R10@1", "R10@2", "R10@5", "examples"] + (
        ["scorer"] if metrics.get_kind() == Eigml.MetricsKind.DSTC10 else [])
    for k in expected:
        assert as_json[k] == got[k], (k, as_json[k], got[k])
    return worst


def test_standard():
    rng = np.random.default_rng(20240601)
    rows = random_rows(rng, 1000, 10, 3)
    metrics = eigml_metrics(rows)
    assert metrics.get_n_examples() == 1000
    worst = compare(metrics, reference_metrics(rows))
    measured["standard max |diff|"] = worst
    return "max |diff| %.3g" % worst


def test_standard_varied_sizes():
    rng = np.random.default_rng(7)
    rows = []
    for n in rng.integers(1, 40, size=300):
        rows += random_rows(rng, 1, int(n), min(int(n), 5))
    worst = compare(eigml_metrics(rows), reference_metrics(rows))
    return "max |diff| %.3g" % worst


def test_dstc10():
    rng = np.random.default_rng(99)
    rows = random_rows(rng, 1000, 10, 1)
    metrics = eigml_metrics(rows, Eigml.MetricsKind.DSTC10)
    worst = compare(metrics, reference_metrics(rows, dstc10=True))
    assert json.loads(metrics.to_json())["scorer"] == "dstc10"
    return "max |diff| %.3g" % worst


def test_random_scoring():
    """Random scores, one positive in ten: MAP = MRR = H(10)/10, R10@1 = 0.1."""
    rng = np.random.default_rng(12345)
    metrics = Eigml.Metrics.new(Eigml.MetricsKind.STANDARD)
    for i in range(20000):
        metrics.add_positive("r%d" % i, rng.random(10, dtype=np.float32).tolist(),
                             int(rng.integers(10)))
    harmonic = sum(1.0 / r for r in range(1, 11)) / 10
    got = json.loads(metrics.to_json())
    measured["random scoring"] = got
    assert abs(got["MAP"] - harmonic) < 0.01, (got["MAP"], harmonic)
    assert abs(got["MAP"] - 0.293) < 0.01
    assert abs(got["R10@1"] - 0.1) < 0.01
    assert abs(got["R10@2"] - 0.2) < 0.015
    assert abs(got["R10@5"] - 0.5) < 0.02
    assert got["MAP"] == got["MRR"]
    return "MAP %.4f (H10/10 = %.4f) R10@1 %.4f" % (got["MAP"], harmonic, got["R10@1"])


# docs/metrics.md, "Ties", written out again from the text
MASK = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15


def tie_permutation(seed, example_id, n):
    state = 0xCBF29CE484222325
    for byte in example_id.encode("utf-8"):
        state = ((state ^ byte) * 0x100000001B3) & MASK
    state ^= (seed * GAMMA) & MASK
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        state = (state + GAMMA) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z ^= z >> 31
        j = z % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def test_ties():
    rng = np.random.default_rng(5)
    checked = 0
    for seed in (0, 42, 43, 2**64 - 1):
        metrics = Eigml.Metrics.new(Eigml.MetricsKind.STANDARD)
        metrics.set_seed(seed)
        for i in range(200):
            n = int(rng.integers(1, 30))
            example_id = "" if i == 0 else ("t%d", "über-%d", "对话%d")[i % 3] % i
            scores = rng.integers(0, 3, size=n).astype(np.float32)
            labels = np.zeros(n, dtype=bool)
            labels[rng.integers(n)] = True
            metrics.add(example_id, scores.tolist(), labels.tolist())
            shuffled = tie_permutation(seed, example_id, n)
            # a stable sort by score, descending, over the shuffled order
            expected = sorted(shuffled, key=lambda c: -scores[c])
            got = list(metrics.get_ranking(example_id))
            assert got == expected, (seed, example_id, scores, got, expected)
            checked += 1
    return "%d rankings as docs/metrics.md says" % checked


def test_predictions():
    rng = np.random.default_rng(3)
    rows = random_rows(rng, 50, 10, 3)
    metrics = eigml_metrics(rows)
    with tempfile.TemporaryDirectory(prefix="eigml-metrics-ref-") as root:
        path = os.path.join(root, "predictions.jsonl")
        metrics.write_predictions(path)
        with open(path, encoding="utf-8") as f:
            lines = [json.loads(line) for line in f]
    assert [p["id"] for p in lines] == ["ex%06d" % i for i in range(50)]
    for p, (scores, labels) in zip(lines, rows):
        ranks, ap, rr = reference_example(scores, labels)
        assert np.array_equal(np.array(p["scores"], dtype=np.float32), scores)
        assert p["ranking"] == list(np.argsort(-scores.astype(np.float64), kind="stable"))
        assert p["positives"] == list(np.nonzero(labels)[0])
        assert p["rank"] == ranks[0]
        assert abs(p["ap"] - ap) <= TOL


def test_binding_errors():
    metrics = Eigml.Metrics.new(Eigml.MetricsKind.STANDARD)
    for args in (("a", [0.1, 0.2], [True]), ("a", [0.1, 0.2], [False, False]),
                 ("a", [0.1, math.nan], [True, False]), ("a", [], [])):
        try:
            metrics.add(*args)
        except GLib.Error as error:
            assert error.domain == "eigml-error-quark", error.domain
        else:
            raise AssertionError("no error for %r" % (args,))
    assert metrics.get_n_examples() == 0
    assert math.isnan(metrics.get_map())


def main():
    check("standard metrics equal numpy (1000 examples, 10 candidates, 1-3 positives)",
          test_standard)
    check("standard metrics equal numpy (1 to 39 candidates)", test_standard_varied_sizes)
    check("DSTC10 scorer equals numpy (1000 examples, one answer)", test_dstc10)
    check("random scoring: MAP ~ 0.293, R10@1 ~ 0.1 (20000 examples)", test_random_scoring)
    check("tie order is docs/metrics.md's seeded shuffle + stable sort", test_ties)
    check("predictions file parses and agrees with numpy", test_predictions)
    check("errors through the bindings", test_binding_errors)

    print("1..%d" % len(results))
    failed = 0
    for i, (ok, name, note) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
        for line in note.rstrip().splitlines():
            print("# " + line)
        failed += not ok
    print("# measured: %s" % measured)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
