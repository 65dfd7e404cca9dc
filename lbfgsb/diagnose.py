"""``python3 -m lbfgsb.diagnose MODULE:FUNCTION [options]``: the command line
of :func:`lbfgsb.diagnose` (see ``lbfgsb/_diagnose_cli.py``).

Imported, this module is the function: ``import lbfgsb.diagnose`` leaves
``lbfgsb.diagnose`` the function ``diagnose`` (the module puts the function
in its own place in ``sys.modules``, which the import system then binds to
the package attribute), so ``lbfgsb.diagnose(...)`` works whatever was
imported before.
"""
import sys

if __name__ == "__main__":
    from lbfgsb._diagnose_cli import main
    sys.exit(main())
else:
    from lbfgsb._diagnose import diagnose as _diagnose
    sys.modules[__name__] = _diagnose
