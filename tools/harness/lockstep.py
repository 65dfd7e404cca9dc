"""Lock step: f, g evaluated at the driver's point for every implementation,
the saved state compared field by field after every call.

Depends on :mod:`impls` and :mod:`state`.
"""
from __future__ import annotations

from .impls import make_impl
from .state import (SCIPY_QUIRKS, STOP_FUN, STOP_ITER, _bits_equal, _rel, canonical_task,
                    compare_states)


def run_lockstep(driver, others, setup, xtol=0.0, perturb=None, max_calls=None,
                 keep_steps=False, ignore=(), strict=False, stop_at_first_diff=False):
    """Lock-step comparison of ``others`` against ``driver``.

    At each f/g request of the driver every implementation gets f, g
    evaluated at the driver's point.  After every call each other
    implementation's state is compared with the driver's, field by field.
    An implementation drops out at the first call after which it asks for
    something else (another task, or an x differing from the driver's by
    more than ``xtol`` relatively; ``xtol=0``: any bit).

    ``perturb``: {impl name: (fg_index, fn(f, g) -> (f, g))}.

    ``ignore``: fields never compared.  When the real SciPy takes part,
    differences in :data:`SCIPY_QUIRKS` fields are recorded under
    ``quirk_fields`` and leave ``identical`` true (``identical_strict``
    false); ``strict``: they count as any other field.

    ``stop_at_first_diff``: an implementation drops out at its first state
    difference (the attribution's replays need no more).  Implementations
    of one layout whose whole state is byte-equal after a call share one
    comparison with the driver (many replays of the port cost one each).

    Returns {impl: result} with: driver, steps (calls compared), identical,
    identical_strict, first_state_diff ({step, task_before, task_after,
    first_field, subroutine, fields: [...]}) or None, divergence ({step,
    reason, ...}) or None, field_first_step {field: step}, quirk_fields
    {field: step}, state_diff_steps, final_task, driver_final_task,
    x_first_bitwise_step.
    """
    perturb = perturb or {}
    impls = {}
    for nm in [driver] + [o for o in others if o != driver]:
        im = make_impl(nm)
        im.perturb = perturb.get(nm)
        im.start(setup.m, setup.x0, setup.l, setup.u, setup.nbd, setup.factr,
                 setup.pgtol, setup.maxls)
        impls[nm] = im
    drv = impls[driver]
    res = {nm: {"impl": nm, "driver": driver, "steps": 0, "identical": False,
                "first_state_diff": None, "divergence": None, "field_first_step": {},
                "quirk_fields": {},
                "state_diff_steps": 0, "final_task": None, "driver_final_task": None,
                "x_first_bitwise_step": None, "x_max_rel": 0.0, "error": None,
                "layout": impls[nm].layout, "trace": [] if keep_steps else None}
           for nm in impls if nm != driver}
    active = [nm for nm in res]
    nit = nfev = step = 0
    if max_calls is None:
        max_calls = 4 * (setup.maxfun + setup.maxiter) + 100
    task_before = {nm: impls[nm].task_text() for nm in impls}
    driver_error = None
    while True:
        try:
            dtask = drv.call()
        except Exception as exc:                      # noqa: BLE001
            driver_error = "%s: %s" % (type(exc).__name__, exc)
            for nm in active:
                res[nm]["error"] = "driver %s failed: %s" % (driver, driver_error)
            break
        dstate = None
        draw = drv.raw_key()
        shared = {}                     # (layout, raw key) -> diffs of this call
        for nm in list(active):
            im, r = impls[nm], res[nm]
            try:
                otask = im.call()
            except Exception as exc:                  # noqa: BLE001
                r["error"] = "%s: %s" % (type(exc).__name__, exc)
                r["divergence"] = {"step": step, "reason": "exception: %s" % r["error"]}
                active.remove(nm)
                continue
            r["steps"] = step + 1
            quirks = SCIPY_QUIRKS if "scipy" in (driver, nm) and not strict else None
            key = (im.layout, task_before[nm], im.raw_key())
            if im.layout == drv.layout and key[2] == draw:
                diffs = []                       # fast path: every byte equal
            elif key in shared:
                diffs = [dict(d, quirk=quirks.get(d["field"]) if quirks else None)
                         for d in shared[key]]
            else:
                if dstate is None:
                    dstate = drv.state()
                diffs = compare_states(dstate, im.state(), im.layout, task_before[nm],
                                       drv.layout, quirks=quirks, ignore=ignore)
                shared[key] = diffs
            if keep_steps:
                r["trace"].append({"step": step, "task": otask, "diffs": [d["field"] for d in diffs]})
            for d in diffs:
                if d["quirk"]:
                    r["quirk_fields"].setdefault(d["field"], step)
            diffs = [d for d in diffs if not d["quirk"]]
            if diffs:
                r["state_diff_steps"] += 1
                for d in diffs:
                    r["field_first_step"].setdefault(d["field"], step)
                if r["first_state_diff"] is None:
                    r["first_state_diff"] = {
                        "step": step, "task_before": task_before[nm], "task_after": otask,
                        "driver_task_after": dtask, "first_field": diffs[0]["field"],
                        "subroutine": diffs[0]["subroutine"], "fields": diffs[:40],
                        "n_fields": len(diffs)}
                if stop_at_first_diff:
                    r["divergence"] = {"step": step, "task_before": task_before[nm],
                                       "reason": "state differs (%s)" % diffs[0]["field"],
                                       "task": otask, "driver_task": dtask, "x_rel": None}
                    r["final_task"] = otask
                    active.remove(nm)
                    task_before[nm] = otask
                    continue
            same_task = canonical_task(otask) == canonical_task(dtask)
            xrel = _rel(im.x, drv.x)
            xbits = _bits_equal(im.x, drv.x)
            if not xbits and r["x_first_bitwise_step"] is None:
                r["x_first_bitwise_step"] = step
            if same_task:
                r["x_max_rel"] = max(r["x_max_rel"], xrel)
            if not same_task or (xrel > xtol if xtol > 0 else not xbits):
                r["divergence"] = {
                    "step": step, "task_before": task_before[nm],
                    "reason": ("task %r vs %r" % (otask, dtask)) if not same_task
                    else "x requested differs (rel %.3g)" % xrel,
                    "task": otask, "driver_task": dtask, "x_rel": xrel}
                r["final_task"] = otask
                active.remove(nm)
            task_before[nm] = otask
        task_before[driver] = dtask
        step += 1
        if dtask.startswith("FG"):
            f, g = setup.fg(drv.x.copy())
            nfev += 1
            drv.set_fg(f, g)
            for nm in active:
                impls[nm].set_fg(f, g)
        elif dtask.startswith("NEW_X"):
            nit += 1
            stop = STOP_ITER if nit >= setup.maxiter else (STOP_FUN if nfev > setup.maxfun else None)
            if stop:
                for nm in [driver] + active:
                    impls[nm].stop(stop)
        else:
            break
        if step >= max_calls:
            for nm in active:
                res[nm]["error"] = "runaway: %d calls" % step
            break
        if not active and not keep_steps:
            break
    dfinal = drv.task_text()
    for nm, r in res.items():
        r["driver_final_task"] = dfinal
        r["driver_steps"] = step
        r["driver_error"] = driver_error
        if r["final_task"] is None:
            r["final_task"] = impls[nm].task_text()
        r["identical"] = (r["first_state_diff"] is None and r["divergence"] is None
                          and r["error"] is None and driver_error is None
                          and r["steps"] == step)
        r["identical_strict"] = r["identical"] and not r["quirk_fields"]
    return res
