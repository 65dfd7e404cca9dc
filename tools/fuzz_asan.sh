#!/usr/bin/env bash
# Optional, local: the fuzz corpus under AddressSanitizer.  Builds the
# extension modules with -fsanitize=address (meson's b_sanitize) into
# /tmp/lbfgsb-build-asan and runs the child-process fuzz tests with libasan
# preloaded into the (unsanitized) interpreter.  Any out-of-bounds read or
# write in a kernel aborts the run with an ASan report on stderr (pytest runs
# with --capture=sys so that the report is not swallowed); set
# LBFGSB_FUZZ_LOG=/tmp/fuzz.log to find the example (its last line).
#
#   bash tools/fuzz_asan.sh                    # profile "ci"
#   LBFGSB_FUZZ_PROFILE=long bash tools/fuzz_asan.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
stage=$(bash tools/devbuild.sh asan -Db_sanitize=address -Db_lundef=false -Dchecks=true)
libasan=$(gcc -print-file-name=libasan.so)
export LBFGSB_FUZZ_PROFILE=${LBFGSB_FUZZ_PROFILE:-ci}
export HYPOTHESIS_STORAGE_DIRECTORY=${HYPOTHESIS_STORAGE_DIRECTORY:-${TMPDIR:-/tmp}/lbfgsb-hypothesis}
# leaks: CPython's own allocations are not freed at exit; not what we look for
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:allocator_may_return_null=1}
PYTHONPATH=$stage LD_PRELOAD=$libasan LBFGSB_FUZZ_CHILD=1 \
    exec python3 -P -m pytest -q --capture=sys -p no:cacheprovider tests/test_fuzz.py "$@"
