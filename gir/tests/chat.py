#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Suite bindings: the GTK 4 chat window (tools/eigml-chat.js) under Xvfb.
Runs its --self-test (types a Chinese and an English message, waits for
the stickers, checks them, clicks one, checks the transcript, saves a
screenshot) on the committed default model and a small library written
here, inside a private D-Bus session and X server (dbus-run-session,
xvfb-run). Relays the app's TAP and adds its own checks: the exit status,
the screenshot, and that a bad library makes the app fail. Never skips: a
missing xvfb-run or dbus-run-session is a failure naming the package.

    chat.py SCREENSHOT.png"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture  # noqa: E402

SOURCE = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
APP = os.path.join(SOURCE, "tools", "eigml-chat.js")
MODEL = os.path.join(SOURCE, "data", "default-model")
TAP = re.compile(r"^(ok|not ok) \d+ - (.*?)(?: # (.*))?$")

results = []


def add(ok, name, why=""):
    results.append((ok, name, " ".join(why.split())[:600]))


def run_app(folder, *args):
    env = dict(os.environ)
    env.update({
        "XDG_CACHE_HOME": os.path.join(folder, "cache"),
        "GDK_BACKEND": "x11",          # the Xvfb server, whatever the caller runs
        "GSETTINGS_BACKEND": "memory",
        "NO_AT_BRIDGE": "1",
        "GTK_A11Y": "none",
    })
    env.setdefault("GSK_RENDERER", "cairo")    # no GL in Xvfb
    env.pop("WAYLAND_DISPLAY", None)
    command = ["dbus-run-session", "--", "xvfb-run", "-a", "-s", "-screen 0 1280x1024x24",
               "gjs", "-m", APP, "--model", MODEL] + list(args)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def main():
    screenshot = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else \
        os.path.join(tempfile.gettempdir(), "eigml-chat-self-test.png")
    missing = [(tool, package) for tool, package in (("xvfb-run", "xvfb"),
                                                      ("dbus-run-session", "dbus-daemon"),
                                                      ("gjs", "gjs"))
               if shutil.which(tool) is None]
    if missing:
        for tool, package in missing:
            add(False, "%s is installed" % tool,
                "install the Debian package %s (tools/debian-packages.txt)" % package)
        return
    folder = tempfile.mkdtemp(prefix="eigml-chat-test-")
    try:
        library = fixture.make_library(folder)
        if os.path.exists(screenshot):
            os.unlink(screenshot)
        p = run_app(folder, "--self-test", "--library", library, "--screenshot", screenshot)
        seen = 0
        for line in p.stdout.splitlines():
            m = TAP.match(line)
            if m:
                seen += 1
                add(m.group(1) == "ok", "app: " + m.group(2), m.group(3) or "")
            elif line.startswith("#"):
                print(line)
        for line in p.stderr.splitlines():
            print("# stderr: " + line)
        add(seen >= 5, "the app ran its self-test", "%d results in %r" % (seen, p.stdout[-400:]))
        add(p.returncode == 0, "the self-test exits 0", "exit status %d" % p.returncode)

        ok, why = False, "no screenshot at " + screenshot
        if os.path.exists(screenshot):
            from PIL import Image
            with Image.open(screenshot) as img:
                ok = img.format == "PNG" and img.width >= 600 and img.height >= 400 and \
                    len(img.convert("RGB").getcolors(1 << 16) or range(1 << 16)) > 50
                why = "%s %dx%d" % (img.format, img.width, img.height)
        add(ok, "a screenshot of the window: " + screenshot, why)

        # a failure is reported: a library that does not exist
        bad = run_app(folder, "--self-test", "--library", os.path.join(folder, "nothing.jsonl"))
        add(bad.returncode != 0 and "nothing.jsonl" in bad.stderr and "not ok" in bad.stdout,
            "a missing library fails the self-test",
            "exit status %d, stderr %r" % (bad.returncode, bad.stderr[-300:]))
    finally:
        if not os.environ.get("EIGML_TEST_KEEP"):
            shutil.rmtree(folder, ignore_errors=True)


main()
print("1..%d" % len(results))
for i, (ok, name, why) in enumerate(results, 1):
    print("%s %d - %s%s" % ("ok" if ok else "not ok", i, name, "" if ok else " # " + why))
sys.exit(0 if results and all(r[0] for r in results) else 1)
