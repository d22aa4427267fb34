#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Binding smoke test: libeigml through GObject Introspection from Python
(PyGObject). Prints TAP."""

import math
import os
import sys

import gi

gi.require_version("Eigml", "1.0")
from gi.repository import Eigml, GLib  # noqa: E402

results = []


def check(name, fn):
    try:
        fn()
        results.append((True, name, ""))
    except Exception as e:  # noqa: BLE001 - report every failure as TAP
        results.append((False, name, repr(e)))


def cpu_context():
    ctx = Eigml.Context.new(Eigml.BackendKind.CPU, None)
    assert ctx.get_backend() == Eigml.BackendKind.CPU
    assert ctx.props.backend == Eigml.BackendKind.CPU
    assert "CPU" in ctx.props.device_name, ctx.props.device_name
    assert ctx.props.is_software is False


def vulkan_context():
    try:
        ctx = Eigml.Context.new(Eigml.BackendKind.VULKAN, None)
    except GLib.Error as e:
        if os.environ.get("EIGML_TEST_ALLOW_NO_VULKAN"):
            return
        raise AssertionError("no Vulkan device: " + e.message)
    assert ctx.props.backend == Eigml.BackendKind.VULKAN
    assert ctx.props.device_name
    print("# vulkan device: %s (software: %s)" % (ctx.props.device_name, ctx.props.is_software))


def bad_backend():
    old = os.environ.get("EIGML_BACKEND")
    os.environ["EIGML_BACKEND"] = "tpu"
    try:
        Eigml.Context.new(Eigml.BackendKind.AUTO, None)
    except GLib.Error as e:
        assert e.domain == "eigml-error-quark", e.domain
        assert e.code == Eigml.Error.INVALID_ARGUMENT
        assert "tpu" in e.message
    else:
        raise AssertionError("EIGML_BACKEND=tpu was accepted")
    finally:
        if old is None:
            del os.environ["EIGML_BACKEND"]
        else:
            os.environ["EIGML_BACKEND"] = old


def tensor_round_trip():
    data = [0.5, -1.25, 3.0, 0.125, -7.5, 2.0]  # exact in binary32
    t = Eigml.Tensor.new_from_floats([2, 3], data)
    assert t.get_n_dims() == 2
    assert list(t.get_shape()) == [2, 3]
    assert t.get_n_elements() == 6
    assert t.props.dtype == Eigml.DType.F32
    back = t.dup_floats()
    assert list(back) == data, back
    raw = t.get_bytes().get_data()
    assert len(raw) == 24
    assert t.describe() == "f32[2, 3]"


def tensor_f16():
    t = Eigml.Tensor.new(Eigml.DType.F16, [3])
    t.set_floats([1.0, 0.1, 65504.0])
    back = t.dup_floats()
    assert back[0] == 1.0 and back[2] == 65504.0
    assert abs(back[1] - 0.1) < 1e-4


def tensor_errors():
    try:
        Eigml.Tensor.new_from_floats([2, 2], [1.0, 2.0, 3.0])
    except GLib.Error as e:
        assert e.code == Eigml.Error.SHAPE, e.code
        assert "3 values" in e.message
    else:
        raise AssertionError("a wrong element count was accepted")
    t = Eigml.Tensor.new_from_ints([2], [4, 5])
    try:
        t.dup_floats()
    except GLib.Error as e:
        assert e.code == Eigml.Error.DTYPE
    else:
        raise AssertionError("i32 data read as floats")
    assert list(t.dup_ints()) == [4, 5]


def version():
    assert Eigml.MAJOR_VERSION == 0
    assert isinstance(Eigml.VERSION_S, str)


for name, fn in [
    ("cpu context", cpu_context),
    ("vulkan context", vulkan_context),
    ("bad EIGML_BACKEND is an error", bad_backend),
    ("tensor round trip", tensor_round_trip),
    ("tensor f16 storage", tensor_f16),
    ("tensor errors", tensor_errors),
    ("version constants", version),
]:
    check(name, fn)

print("1..%d" % len(results))
for i, (ok, name, why) in enumerate(results, 1):
    print("%s %d - %s%s" % ("ok" if ok else "not ok", i, name, "" if ok else " # " + why))
sys.exit(0 if all(r[0] for r in results) else 1)
