# SPDX-License-Identifier: LGPL-2.1-or-later
"""The pinned npm packages of data/packages.json: fetched with `npm pack`
into a cache folder, checked against the pinned SHA-512 integrity, and read
straight from the tarball (no unpacked copy to keep in step)."""

import base64
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile


class FetchError(Exception):
    pass


def load_manifest(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)["packages"]


def tarball_name(name, version):
    # what `npm pack` writes: a scope loses its '@' and its '/' becomes '-'
    return "%s-%s.tgz" % (name.lstrip("@").replace("/", "-"), version)


def integrity_of(path):
    h = hashlib.sha512()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return "sha512-" + base64.b64encode(h.digest()).decode("ascii")


def fetch(pkg, cache, offline=False, log=print):
    """The path of PKG's tarball in CACHE, fetched with `npm pack` unless a
    file with the pinned integrity is already there."""
    path = os.path.join(cache, tarball_name(pkg["name"], pkg["version"]))
    spec = "%s@%s" % (pkg["name"], pkg["version"])
    if os.path.exists(path):
        if integrity_of(path) == pkg["integrity"]:
            return path
        log("demo-data: %s: integrity differs from data/packages.json; fetching again" % path)
        os.unlink(path)
    if offline:
        raise FetchError("%s is not in %s and --offline forbids fetching it" % (spec, cache))
    os.makedirs(cache, exist_ok=True)
    log("demo-data: npm pack %s" % spec)
    try:
        r = subprocess.run(["npm", "pack", spec, "--pack-destination", cache,
                            "--ignore-scripts", "--silent"],
                           capture_output=True, text=True, timeout=600)
    except FileNotFoundError:
        raise FetchError("npm is not installed (tools/setup-deps installs it); "
                         "it is needed once, to fetch %s" % spec) from None
    except subprocess.TimeoutExpired:
        raise FetchError("npm pack %s: no answer in 600 s" % spec) from None
    if r.returncode != 0:
        raise FetchError("npm pack %s failed (exit %d): %s" %
                         (spec, r.returncode, " ".join(r.stderr.split())[-500:]))
    if not os.path.exists(path):
        raise FetchError("npm pack %s did not write %s" % (spec, path))
    got = integrity_of(path)
    if got != pkg["integrity"]:
        os.replace(path, path + ".rejected")
        raise FetchError("%s: SHA-512 integrity %s is not the pinned %s (kept as %s.rejected)"
                         % (spec, got, pkg["integrity"], path))
    return path


class Tarball:
    """Read-only access to the regular files of an npm tarball, by path."""

    def __init__(self, path):
        self.path = path
        # unpacked in memory (at most a few tens of MB): reading members out
        # of order from a gzip stream would decompress it again each time
        with open(path, "rb") as f:
            self._tar = tarfile.open(fileobj=io.BytesIO(gzip.decompress(f.read())), mode="r:")
        self._members = {m.name: m for m in self._tar.getmembers() if m.isfile()}

    def names(self, prefix=""):
        return sorted(n for n in self._members if n.startswith(prefix))

    def read(self, name):
        m = self._members.get(name)
        if m is None:
            raise FetchError("%s has no file %s" % (self.path, name))
        return self._tar.extractfile(m).read()

    def json(self, name):
        return json.loads(self.read(name).decode("utf-8"))

    def close(self):
        self._tar.close()


def open_all(manifest, cache, names, offline=False, log=print):
    """{package name: Tarball} for NAMES, fetching what the cache lacks."""
    by_name = {p["name"]: p for p in manifest}
    out = {}
    for name in names:
        out[name] = Tarball(fetch(by_name[name], cache, offline, log))
    return out


def log_stderr(msg):
    print(msg, file=sys.stderr, flush=True)
