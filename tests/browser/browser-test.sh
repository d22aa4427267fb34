#!/bin/sh
# The web page test (meson suite 'browser'): installs playwright-core
# (pinned, npm) into the build folder, then test-page.mjs starts
# eigml-server on the default model and the demo library and drives the page
# in Debian's headless Chromium. Fails, never skips, when a piece is missing.
#   browser-test.sh EIGML_SERVER SOURCE_ROOT BUILD_FOLDER
set -eu
here=$(cd "$(dirname "$0")" && pwd)
server=${1:?usage: browser-test.sh EIGML_SERVER SOURCE_ROOT BUILD_FOLDER}
source_root=${2:?usage: browser-test.sh EIGML_SERVER SOURCE_ROOT BUILD_FOLDER}
build=${3:?usage: browser-test.sh EIGML_SERVER SOURCE_ROOT BUILD_FOLDER}
if ! command -v node >/dev/null 2>&1; then
  echo "Bail out! Node.js is not installed (Debian package nodejs, tools/debian-packages.txt)"
  exit 1
fi
if [ ! -x "${EIGML_CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "Bail out! ${EIGML_CHROMIUM:-/usr/bin/chromium} is missing (Debian package chromium, tools/debian-packages.txt)"
  exit 1
fi
if ! "$here/browser-setup-npm" "$build/npm-browser"; then
  echo "Bail out! could not install playwright-core from npm (see above)"
  exit 1
fi
exec node "$here/test-page.mjs" "$server" "$source_root" "$build" "$build/npm-browser/node_modules"
