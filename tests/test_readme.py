"""README.md and docs/*.md against the repository: what they show runs as written.

* README.md is one screen (at most 150 lines), and its Python snippets and its
  install check run as written from the checkout root (against the package on the
  path: the installed one, or a development build through PYTHONPATH).
* Every relative link in README.md and docs/*.md names an existing file, and every
  ``#anchor`` a heading of that file (GitHub's slugs).
* Every ``python3 tools/X.py``, ``python3 -P tools/X.py`` and ``python3 [-P] -m MOD``
  command named in README.md and docs/*.md names a script or module that exists and
  answers ``--help`` (run as written, from the checkout root), and each of its flags
  appears in that help.
* The README's test command is the one CI (.ci/run) runs.
* No table cell of README.md or docs/*.md is longer than 300 characters.
"""
import ctypes.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = [README] + sorted((ROOT / "docs").glob("*.md"))

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
INLINE = re.compile(r"`([^`\n]+)`")
# python3 [-P] tools/X.py ..., python3 [-P] -m MOD ..., or a bare tools/X.py ... (run as
# python3 tools/X.py, which puts tools/ first on the path, as the scripts expect)
COMMAND = re.compile(r"\bpython3?\s+((?:-P\s+)?)(tools/[\w/]+\.py)(.*)"
                     r"|\bpython3?\s+((?:-P\s+)?)(-m\s+[\w.]+)(.*)"
                     r"|(?<![\w/])()(tools/[\w/]+\.py)(\s+-.*)")
FLAG = re.compile(r"(?<![\w.:/-])(--?[A-Za-z][\w-]*)")


def _fences(text, langs=None):
    """(language, body) of each fenced block, in order."""
    return [(lang, body) for lang, body in FENCE.findall(text)
            if langs is None or lang in langs]


def _prose(text):
    """The text outside fenced blocks."""
    return FENCE.sub("", text)


def _slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to -."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path):
    seen, anchors = {}, set()
    for line in _prose(path.read_text()).splitlines():
        m = re.match(r"#{1,6}\s+(.*)", line)
        if not m:
            continue
        slug = _slug(m.group(1))
        k = seen.get(slug, 0)
        seen[slug] = k + 1
        anchors.add(slug if k == 0 else f"{slug}-{k}")
    return anchors


def _env():
    return dict(os.environ, OPENBLAS_NUM_THREADS="1")


def _python(argv):
    """A command line with ``python3``/``python`` replaced by this interpreter."""
    return [sys.executable] + argv[1:] if argv[0] in ("python3", "python") else argv


# ---------------------------------------------------------------------------
# the README

def test_readme_is_one_screen_of_at_most_150_lines():
    lines = README.read_text().splitlines()
    assert len(lines) <= 150, len(lines)


def test_readme_python_snippets_run_as_written_from_the_checkout_root():
    blocks = _fences(README.read_text(), ("python",))
    assert blocks, "the README shows no Python snippet"
    for _, block in blocks:
        out = subprocess.run([sys.executable, "-P", "-c", block], cwd=ROOT, env=_env(),
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, block + out.stderr[-2000:]


def test_readme_install_check_imports_the_built_package_from_the_checkout_root():
    import lbfgsb
    sh = "\n".join(body for _, body in _fences(README.read_text(), ("sh",)))
    checks = [ln for ln in sh.splitlines() if re.match(r"python3\S* .*-c ", ln)]
    assert len(checks) == 1, checks
    out = subprocess.run(_python(shlex.split(checks[0])), cwd=ROOT, env=_env(),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == lbfgsb.__version__


def test_readme_test_command_is_the_one_ci_runs():
    sh = "\n".join(body for _, body in _fences(README.read_text(), ("sh",)))
    cmds = [ln.split("&&")[-1].strip() for ln in sh.splitlines() if "-m pytest" in ln]
    assert cmds, "the README names no test command"
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    for cmd in cmds:
        assert any(ln.strip().startswith(cmd) for ln in ci), (cmd, ".ci/run")


# ---------------------------------------------------------------------------
# links

def _links():
    for path in DOCS:
        for target in LINK.findall(_prose(path.read_text())):
            if re.match(r"[a-z]+:", target):          # http:, https:, mailto:
                continue
            yield path, target


def test_relative_links_point_to_existing_files_and_headings():
    links = list(_links())
    assert any(p == README for p, _ in links), "the README links nothing"
    bad = []
    for path, target in links:
        file, _, anchor = target.partition("#")
        dest = (path.parent / file).resolve() if file else path
        if not dest.exists():
            bad.append(f"{path.name}: {target} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            bad.append(f"{path.name}: {target} (no such heading)")
    assert not bad, bad


# ---------------------------------------------------------------------------
# commands

def _candidates(text):
    """Command lines: each line of a shell block (continuations joined, comments
    dropped) and each inline code span of the prose."""
    for lang, body in _fences(text):
        if lang not in ("", "sh", "console", "bash"):
            continue
        for line in body.replace("\\\n", " ").splitlines():
            yield re.split(r"\s#\s", line)[0]
    yield from INLINE.findall(_prose(text))
    # indented (four-space) command lines of the prose
    for line in _prose(text).splitlines():
        if line.startswith("    python"):
            yield re.split(r"\s#\s", line.strip())[0]


def _commands():
    """{(interpreter options, script or module, extra help args): {flags}}."""
    found = {}
    for path in DOCS:
        for cand in _candidates(path.read_text()):
            m = COMMAND.search(cand)
            if not m:
                continue
            k = next(i for i in (1, 4, 7) if m.group(i + 1))
            opts, target, rest = m.group(k).strip(), m.group(k + 1), m.group(k + 2)
            target = " ".join(target.split())
            rest = rest.replace("[", " ").replace("]", " ")
            plugins = tuple(re.findall(r"-p\s+([\w.]+)", rest))
            flags = set(FLAG.findall(rest))
            found.setdefault((opts, target, plugins), set()).update(flags)
    return found


COMMANDS = _commands()


def test_the_docs_name_the_main_commands():
    targets = {t for _, t, _ in COMMANDS}
    for expected in ("tools/compare.py", "tools/walkthrough.py", "tools/explain.py",
                     "-m pytest", "-m lbfgsb.diagnose", "-m reference"):
        assert expected in targets, (expected, sorted(targets))


@pytest.mark.parametrize("opts,target,plugins", sorted(COMMANDS),
                         ids=lambda v: " ".join(v) if isinstance(v, tuple) else str(v))
def test_each_command_exists_and_its_flags_are_in_its_help(opts, target, plugins):
    if target.startswith("tools/"):
        assert (ROOT / target).is_file(), target
    argv = [sys.executable] + opts.split() + target.split()
    for plugin in plugins:
        argv += ["-p", plugin]
    out = subprocess.run(argv + ["--help"], cwd=ROOT, env=_env(), capture_output=True,
                         text=True, timeout=300)
    if (out.returncode != 0 and "lbfgsb" in out.stderr.lower()
            and "liblbfgsb" in out.stderr and ctypes.util.find_library("lbfgsb") is None):
        pytest.skip(f"{target} needs the Fortran (liblbfgsb.so.0), not installed here")
    assert out.returncode == 0, (argv, out.stderr[-2000:])
    helptext = out.stdout + out.stderr
    missing = sorted(f for f in COMMANDS[opts, target, plugins]
                     if not re.search(r"(?<![\w-])" + re.escape(f) + r"(?![\w-])", helptext))
    assert not missing, (target, missing)


# ---------------------------------------------------------------------------
# tables

def test_no_table_cell_is_longer_than_300_characters():
    long = []
    for path in DOCS:
        for lineno, line in enumerate(_prose(path.read_text()).splitlines(), 1):
            if not line.startswith("|"):
                continue
            for cell in re.split(r"(?<!\\)\|", line.strip().strip("|")):
                if len(cell.strip()) > 300:
                    long.append(f"{path.name}: {cell.strip()[:60]}... ({len(cell.strip())})")
    assert not long, long
