"""Importing lbfgsb from the repository root, where the uncompiled source tree
shadows the built package, fails with a message that says what to do."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_import_from_the_source_tree_says_what_to_do():
    p = subprocess.run([sys.executable, "-c", "import lbfgsb"], cwd=str(ROOT),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode != 0
    assert "source tree without the compiled extension modules" in p.stderr
    assert "-P" in p.stderr and "devbuild.sh" in p.stderr
    assert "circular import" not in p.stderr
