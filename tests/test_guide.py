"""The reading guide (docs/GUIDE.md) against the code and the papers' numbering.

* Every subroutine the Fortran library exports is one Cython function of the same name,
  listed in the guide's routine table under the file that holds it, with a docstring that names its source in the papers (or says that no
  paper describes it).
* The guide's map of BLNZ95's numbered equations covers exactly the equations of the
  technical report it was checked against, (1.1)-(1.2), (2.1)-(2.6), (3.1)-(3.9),
  (4.1)-(4.13), (5.1)-(5.22) and (6.1).
* Every equation tag the guide lists (and every one the walkthrough page cites) is a
  comment in the function it names.
* Every equation number cited anywhere in the package, the tools, the README or the
  docs is one of those (or BNS94's (2.26), the one the guide attributes to the Fortran's
  comment), and every ZBLN97 equation cited is one of its three.
"""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "GUIDE.md").read_text()
SOURCES = sorted((ROOT / "lbfgsb").rglob("*.pyx"))

# Equations per section of BLNZ95 as numbered in its report NAM-08 (May 1994).
BLNZ95_SECTIONS = {1: 2, 2: 6, 3: 9, 4: 13, 5: 22, 6: 1}
ZBLN97_EQUATIONS = {1, 2, 3}
EQ = re.compile(r"\((\d)\.(\d{1,2})\)")
RANGE = re.compile(r"\((\d)\.(\d{1,2})\)\s*[–-]\s*\((\d)\.(\d{1,2})\)")
CITATION = re.compile(r"\[(BLNZ95|ZBLN97|MT94|BNS94|MN11)")
NO_PAPER = re.compile(r"no paper|not in the papers", re.IGNORECASE)


def _section(text, title):
    start = text.index(title)
    end = text.find("\n## ", start + len(title))
    return text[start:end if end >= 0 else len(text)]


def _table_rows(text):
    return [line for line in text.splitlines() if line.startswith("| `")]


def _names(cell):
    return re.findall(r"`(\w+)`", cell)


def _routine_table(text, title):
    """{subroutine name: cells} of the table in the section ``title``."""
    rows = {}
    for line in _table_rows(_section(text, title)):
        cells = [c.strip() for c in line.strip("|").split("|")]
        for name in _names(cells[0]):
            rows[name] = cells
    return rows


def _guide_routines():
    return _routine_table(GUIDE, "## Routine by routine")


def _blnz95_map():
    """The equation numbers in the first column of the guide's BLNZ95 map."""
    part = GUIDE[GUIDE.index("### Where each numbered item"):]
    part = part[:part.index("\nZBLN97:")]
    eqs = set()
    for line in part.splitlines():
        if not line.startswith("| ("):
            continue
        first = line.strip("|").split("|")[0]
        for a, b, c, d in RANGE.findall(first):
            assert a == c, line
            eqs.update((int(a), k) for k in range(int(b), int(d) + 1))
        eqs.update((int(a), int(b)) for a, b in EQ.findall(first))
    return eqs


def _cdef_docstring(name):
    """(file, docstring) of the cdef function ``name`` in the package."""
    pattern = re.compile(r"^cdef [^\n(]*\b%s\(" % name, re.MULTILINE)
    for path in SOURCES:
        text = path.read_text()
        m = pattern.search(text)
        if m:
            start = text.index('"""', m.end())
            end = text.index('"""', start + 3)
            return path.name, text[start + 3:end]
    return None, None


@pytest.fixture(scope="module")
def exported(fortran):
    """The subroutines of Debian's liblbfgsb.so.0 (the spec), by the names in the tables
    and the code: each candidate is kept if the library exports ``name_``."""
    lib = fortran.load("scipy").lib
    candidates = set(_guide_routines())
    for path in SOURCES:
        candidates.update(re.findall(r"^cdef [^\n(]*?\b(\w+)\(", path.read_text(),
                                     re.MULTILINE))
    names = sorted(n for n in candidates if hasattr(lib, n + "_"))
    return names


def test_every_fortran_subroutine_is_one_cython_function_of_the_same_name(exported):
    assert len(exported) >= 21, exported
    for name in exported:
        path, doc = _cdef_docstring(name)
        assert path is not None, f"{name}: no cdef function of that name"


def test_guide_table_lists_every_subroutine_under_its_file(exported):
    guide = _guide_routines()
    for name in exported:
        path, _ = _cdef_docstring(name)
        assert name in guide, f"{name} missing from the guide's routine table"
        assert path in guide[name][1], (name, path, guide[name][1])
    # and nothing in the table that is not a Fortran subroutine
    assert set(guide) <= set(exported), set(guide) - set(exported)


def test_each_subroutine_docstring_names_its_source_in_the_papers(exported):
    for name in exported:
        _, doc = _cdef_docstring(name)
        assert CITATION.search(doc) or NO_PAPER.search(doc), (
            f"{name}: the docstring cites no paper and does not say that none applies")


def test_guide_maps_every_numbered_equation_of_blnz95():
    expected = {(s, k) for s, count in BLNZ95_SECTIONS.items()
                for k in range(1, count + 1)}
    assert _blnz95_map() == expected


def _cited_files():
    files = list(SOURCES) + sorted((ROOT / "lbfgsb").rglob("*.pxd"))
    files += sorted((ROOT / "lbfgsb").rglob("*.py"))
    files += [ROOT / "tools" / "explain.py", ROOT / "tools" / "walkthrough.py",
              ROOT / "reference" / "teaching.py", ROOT / "README.md"]
    files += sorted((ROOT / "docs").glob("*.md"))
    return files


def test_every_cited_equation_number_is_in_the_checked_map():
    checked = _blnz95_map()
    bns94 = set(re.findall(r"BNS94 eq\. \((\d\.\d+)\)", GUIDE))
    assert bns94 == {"2.26"}
    bad = []
    for path in _cited_files():
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            for a, b in EQ.findall(line):
                if (int(a), int(b)) in checked:
                    continue
                if f"{a}.{b}" in bns94 and "BNS94" in line:
                    continue
                bad.append(f"{path.name}:{lineno}: ({a}.{b})")
            if "ZBLN97" in line:
                for k in re.findall(r"(?<!\w)\((\d+)\)", line):
                    if int(k) not in ZBLN97_EQUATIONS:
                        bad.append(f"{path.name}:{lineno}: ZBLN97 ({k})")
    assert not bad, bad


def test_guide_names_the_editions_it_was_checked_against():
    papers = _section(GUIDE, "## The papers")
    assert "NAM-08" in papers and "May 1994" in papers
    assert "ACM TOMS" in papers and "550–560" in papers


def _tag_table():
    """(tag, function) of each row of the guide's table of equation tags."""
    rows = []
    for line in _section(GUIDE, "### Equation tags in the code").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 3 and _names(cells[1]):
            rows.append((cells[0], _names(cells[1])[0]))
    return rows


def test_every_equation_tag_the_guide_lists_is_in_the_function_it_names():
    import sys
    sys.path.insert(0, str(ROOT / "tools"))
    from walkthrough import citations, tagged_lines
    rows = _tag_table()
    assert len(rows) >= 14
    for tag, fn in rows:
        assert tagged_lines(fn, tag), f"{fn} carries no '# {tag}' comment"
    # and every citation of the walkthrough page is listed in the guide's table
    assert set(citations()) <= set(rows), set(citations()) - set(rows)
