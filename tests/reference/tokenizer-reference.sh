#!/bin/sh
# The tokenizer reference test (meson suite 'reference'): installs the npm
# packages pinned in package-lock.json into the build folder (the first run
# needs the npm registry), then compares Eigml's ids with Hugging Face's.
#   tokenizer-reference.sh EIGML_BINARY BUILD_FOLDER
set -eu
here=$(cd "$(dirname "$0")" && pwd)
eigml=${1:?usage: tokenizer-reference.sh EIGML_BINARY BUILD_FOLDER}
build=${2:?usage: tokenizer-reference.sh EIGML_BINARY BUILD_FOLDER}
if ! command -v node >/dev/null 2>&1; then
  echo "tokenizer-reference: Node.js is not installed; this test needs node and npm" >&2
  exit 1
fi
"$here/tokenizer-setup-npm" "$build/npm-tokenizer"
exec node "$here/tokenizer-reference.mjs" "$eigml" "$build/npm-tokenizer" \
  "$build/tokenizer-reference" "$here/tokenizer-corpus.txt" \
  "$here/tokenizer-unicode-divergence.json"
