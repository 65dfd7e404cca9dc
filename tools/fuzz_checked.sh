#!/usr/bin/env bash
# Fuzz and reliability tests against the bounds-checked build
# (-Dchecks=true: boundscheck, wraparound, initializedcheck on).
#
#   bash tools/fuzz_checked.sh                 # CI budget (profile "ci", ~1-3 min
#                                              # after the build)
#   LBFGSB_FUZZ_PROFILE=long bash tools/fuzz_checked.sh     # local: 3000
#                                              # examples per fuzz test (~15 min)
#   LBFGSB_LEAK_RUNS=100000 LBFGSB_HUGE=1 ...  # the full leak count, n = 10**7
#
# The hostile corpora (setulb and checkpoint files) run in a child process
# (see tests/test_fuzz.py, tests/test_fuzz_checkpoint.py): a
# crash fails the test with the child's exit status instead of killing pytest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
stage=$(bash tools/devbuild.sh relchk -Dchecks=true)
export LBFGSB_FUZZ_PROFILE=${LBFGSB_FUZZ_PROFILE:-ci}
export LBFGSB_LEAK_RUNS=${LBFGSB_LEAK_RUNS:-5000}
PYTHONPATH=$stage exec python3 -P -m pytest -q -p no:cacheprovider \
    tests/test_fuzz.py tests/test_fuzz_checkpoint.py tests/test_reliability.py "$@"
