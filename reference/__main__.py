"""``python -m reference --list``: print the problem table."""

import argparse
import sys

from . import get, names, table


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m reference", description=__doc__)
    ap.add_argument("--list", action="store_true", help="print a table of all problems")
    ap.add_argument("--bounded", action="store_true", help="only problems with bounds")
    ap.add_argument("--unbounded", action="store_true", help="only problems without bounds")
    ap.add_argument("--active", action="store_true", help="only problems with bounds active at the solution")
    ap.add_argument("--min-n", type=int, default=None, help="only problems that allow some n >= MIN_N")
    ap.add_argument("--show", metavar="NAME", help="print details of one problem")
    ap.add_argument("-n", type=int, default=None, help="size used with --show")
    a = ap.parse_args(argv)
    if a.show:
        p = get(a.show, a.n)
        f0 = p.fg(p.x0)[0]
        print(f"name            {p.name}\nclassification  {p.classification}\nn               {p.n}")
        print(f"sizes           {p.sizes.describe()}\nbounded         {p.bounded}")
        print(f"active at sol.  {p.active_at_solution}\nf(x0)           {f0:.10g}")
        print(f"fopt            {p.fopt}\nsource          {p.source}")
        if p.notes:
            print(f"notes           {p.notes}")
        return 0
    filt = {}
    if a.bounded:
        filt["bounded"] = True
    if a.unbounded:
        filt["bounded"] = False
    if a.active:
        filt["active_at_solution"] = True
    if a.min_n is not None:
        filt["min_n"] = a.min_n
    if a.list or filt or len(sys.argv if argv is None else argv) == 0:
        print(table(names(**filt)))
        return 0
    ap.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
