#!/usr/bin/env bash
# Incremental development build.  Compiles the extension modules into
# /tmp/lbfgsb-build-NAME-<checkout> (ninja rebuilds only what changed) and stages an
# importable copy of the package in /tmp/lbfgsb-stage-NAME-<checkout> (.py files linked
# to the source, .so files to the build).  Prints the staging directory:
#
#   PYTHONPATH=$(bash tools/devbuild.sh me) python3 -P -m pytest -q tests
#
# (-P keeps the source directory, which has no compiled modules, off sys.path.)
set -euo pipefail
name=${1:-dev}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
# one build per checkout: a build directory is tied to its source tree
key=$(printf '%s' "$root" | md5sum | cut -c1-8)
build=/tmp/lbfgsb-build-$name-$key
stage=/tmp/lbfgsb-stage-$name-$key
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$root" -Dbuildtype=release "$@" >/dev/null
fi
if ! ninja -C "$build" > "$build/ninja.log" 2>&1; then
    cat "$build/ninja.log" >&2
    echo "devbuild: the build failed (log above)" >&2
    exit 1
fi
for pkg in lbfgsb lbfgsb/port; do
    mkdir -p "$stage/$pkg"
    ln -sf "$root"/$pkg/*.py "$stage/$pkg/"
    ln -sf "$build"/$pkg/*.so "$stage/$pkg/"
done
echo "$stage"
