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


def _meson_lists(build_file):
    """The quoted names in a meson.build's module lists and install_sources."""
    import re
    return set(re.findall(r"'([\w.]+)'", build_file.read_text()))


def test_every_source_file_of_the_package_is_built_or_installed_by_meson():
    # a module missing from meson.build works in the dev build (devbuild.sh links every
    # .py) and is silently absent from `pip install .`
    for pkg in (ROOT / "lbfgsb", ROOT / "lbfgsb" / "port"):
        listed = _meson_lists(pkg / "meson.build")
        for path in sorted(pkg.iterdir()):
            if path.suffix == ".py" or path.suffix == ".pxd":
                assert path.name in listed, f"{path} is not in {pkg / 'meson.build'}"
            elif path.suffix == ".pyx":
                assert path.stem in listed, f"{path} is not built by {pkg / 'meson.build'}"
