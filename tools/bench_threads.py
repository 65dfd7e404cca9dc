"""Two-thread throughput of the port beside the machine's own ceiling.

Run by ``tools/bench.py`` (section ``threads``) in a fresh process::

    python3 -P tools/bench_threads.py N M MAXITER REPS    # prints JSON

Two persistent worker threads (as a thread pool keeps them) run jobs handed
to them; per repetition and per job: the job twice on worker 0 (sequential)
and once on each worker at the same time (two threads).  Jobs:

- ``quad``, ``bquad``: ``lbfgsb.minimize`` on tools/bench_problems.py's
  problems (n, m, maxiter fixed, ftol = gtol = 0);
- ``stream``: the machine's ceiling for the same working set: each thread
  multiplies its own (2m, n) matrix (S and Y's 16 MB at n = 1e5, m = 10) by
  an n-vector and its transpose by a 2m-vector (numpy's dgemv, GIL released),
  repeated to take about as long as one quad run;
- ``compute``: an in-cache matrix product (128 x 128), to show whether the
  two CPUs are independent cores (near x2) or share one.

Per run, the thread's own user and sys CPU, minor page faults and
involuntary context switches (getrusage RUSAGE_THREAD); per two-thread run,
the cores the rest of the machine used meanwhile (/proc/stat less this
process).  Before the repetitions, one two-thread round of quad in the fresh
workers is timed apart ("first round"): a new thread's first large
allocations come from a new malloc arena, whose pages are faulted in then.
"""
import json
import os
import queue
import resource
import sys
import threading
import time

import numpy as np


def _machine_busy_s():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)) \
        / os.sysconf("SC_CLK_TCK")


def _usage():
    r = resource.getrusage(resource.RUSAGE_THREAD)
    return np.array([r.ru_utime, r.ru_stime, r.ru_minflt, r.ru_nivcsw])


class _Worker:
    """A thread that runs the jobs put to it, each with its own usage."""

    def __init__(self, setup):
        self.inq, self.outq = queue.Queue(), queue.Queue()
        self.t = threading.Thread(target=self._loop, args=(setup,), daemon=True)
        self.t.start()

    def _loop(self, setup):
        local = setup()          # the thread's own arrays, touched here
        while True:
            job = self.inq.get()
            if job is None:
                return
            u0, t0 = _usage(), time.perf_counter()
            job(local)
            t1, u1 = time.perf_counter(), _usage()
            self.outq.put((t0, t1, u1 - u0))


def _jobs(n, m, maxiter):
    import lbfgsb
    import bench_problems
    from scipy.optimize import Bounds
    probs = {}
    for kind in ("quad", "bquad"):
        fg, x0, lo, up = bench_problems.make(kind, n)
        probs[kind] = (fg, x0, None if lo is None else Bounds(lo, up))

    def solve(kind):
        fg, x0, b = probs[kind]
        return lambda local: lbfgsb.minimize(fg, x0, jac=True, bounds=b, maxcor=m,
                                             maxiter=maxiter, ftol=0.0, gtol=0.0)
    reps = {"stream": 1, "compute": 1}

    def stream(local):
        w, v, u, z = local["w"], local["v"], local["u"], local["z"]
        for _ in range(reps["stream"]):
            np.dot(w, v, out=u)
            np.dot(w.T, u, out=z)

    def compute(local):
        a, b, c = local["a"], local["b"], local["c"]
        for _ in range(reps["compute"]):
            np.dot(a, b, out=c)

    def setup():
        rng = np.random.default_rng(threading.get_native_id())
        return dict(w=rng.random((2 * m, n)), v=rng.random(n), u=np.empty(2 * m),
                    z=np.empty(n), a=rng.random((128, 128)), b=rng.random((128, 128)),
                    c=np.empty((128, 128)))
    jobs = {"quad": solve("quad"), "bquad": solve("bquad"), "stream": stream,
            "compute": compute}
    return jobs, setup, reps


def measure(n, m, maxiter, nreps):
    """The measurements, as a dict of job -> lists (see the module's doc)."""
    jobs, setup, reps = _jobs(n, m, maxiter)
    workers = [_Worker(setup), _Worker(setup)]

    def seq(job):
        out = []
        for _ in range(2):
            workers[0].inq.put(job)
            out.append(workers[0].outq.get())
        return sum(t1 - t0 for t0, t1, _ in out), [u for _, _, u in out]

    def par(job):
        b0, p0 = _machine_busy_s(), time.process_time()
        for w in workers:
            w.inq.put(job)
        out = [w.outq.get() for w in workers]
        wall = max(t1 for _, t1, _ in out) - min(t0 for t0, _, _ in out)
        others = ((_machine_busy_s() - b0) - (time.process_time() - p0)) / wall
        return wall, [u for _, _, u in out], others

    res = {}
    wall, us, others = par(jobs["quad"])     # fresh workers: their arenas are new
    res["first_round"] = dict(wall=wall, usage=[u.tolist() for u in us], others=others)
    par(jobs["bquad"])
    # the ceilings take about as long as one quad run
    target = seq(jobs["quad"])[0] / 2
    for name in ("stream", "compute"):
        t = seq(jobs[name])[0] / 2
        reps[name] = max(1, int(round(target / t)))
    for name in jobs:
        res[name] = dict(seq=[], par=[], seq_usage=[], par_usage=[], others=[])
    for _ in range(nreps):
        for name, job in jobs.items():
            s, su = seq(job)
            p, pu, others = par(job)
            r = res[name]
            r["seq"].append(s)
            r["par"].append(p)
            r["seq_usage"].append([u.tolist() for u in su])
            r["par_usage"].append([u.tolist() for u in pu])
            r["others"].append(others)
    for w in workers:
        w.inq.put(None)
    res["loadavg"] = os.getloadavg()
    res["stream_MB_per_thread"] = 2 * m * n * 8 / 1e6
    return res


def summarise(raw, ncpu, log):
    """Per job: the throughput ratio and what it is made of; a verdict for
    the port's jobs measured against the stream ceiling.  Returns a dict."""
    out = {}
    for name in ("stream", "compute", "quad", "bquad"):
        r = raw[name]
        seq, par = np.array(r["seq"]), np.array(r["par"])
        su = np.array(r["seq_usage"])        # reps x 2 runs x (user, sys, flt, ivcs)
        pu = np.array(r["par_usage"])
        cpu_seq = np.median(su[:, :, 0] + su[:, :, 1])
        cpu_par = np.median(pu[:, :, 0] + pu[:, :, 1])
        wall_cpu = np.median(par / np.max(pu[:, :, 0] + pu[:, :, 1], axis=1))
        out[name] = dict(
            ratio=float(np.median(seq / par)), sequential_s=float(np.median(seq)),
            two_threads_s=float(np.median(par)), cpu_per_run_seq_s=float(cpu_seq),
            cpu_per_run_threads_s=float(cpu_par), cpu_growth=float(cpu_par / cpu_seq),
            sys_per_run_threads_s=float(np.median(pu[:, :, 1])),
            faults_per_run_seq=float(np.median(su[:, :, 2])),
            faults_per_run_threads=float(np.median(pu[:, :, 2])),
            preempted_per_run_threads=float(np.median(pu[:, :, 3])),
            wall_over_cpu_threads=float(wall_cpu),
            others_cores=float(np.median(r["others"])))
    st = out["stream"]
    log(f"  [threads machine] two threads / one: streams of {raw['stream_MB_per_thread']:.0f} "
        f"MB each x{st['ratio']:.2f} (CPU per pass x{st['cpu_growth']:.2f}), in-cache "
        f"compute x{out['compute']['ratio']:.2f}; load {raw['loadavg'][0]:.2f}")
    for kind in ("quad", "bquad"):
        v = out[kind]
        v["of_ceiling"] = v["ratio"] / st["ratio"]
        busy = max(v["others_cores"], st["others_cores"])
        if busy > 0.25 * ncpu:
            verdict = f"machine busy: other processes used {busy:.2f} of {ncpu} cores"
        elif v["preempted_per_run_threads"] > 10:
            verdict = (f"threads preempted {v['preempted_per_run_threads']:.0f} times a run: "
                       "other processes came and went")
        elif v["of_ceiling"] >= 0.95:
            verdict = "at the machine's ceiling"
        elif v["wall_over_cpu_threads"] > 1.05:
            verdict = (f"threads waited {100 * (v['wall_over_cpu_threads'] - 1):.0f}% "
                       "beyond their CPU time (GIL or scheduler)")
        elif v["sys_per_run_threads_s"] > 0.05 * v["cpu_per_run_threads_s"]:
            verdict = "sys time: page faults"
        else:
            verdict = (f"the port's threads slowed each other more than the streams "
                       f"(CPU x{v['cpu_growth']:.2f} against x{st['cpu_growth']:.2f})")
        v["verdict"] = verdict
        log(f"  [threads {kind}] sequential {v['sequential_s']:.3f} s, two threads "
            f"{v['two_threads_s']:.3f} s: x{v['ratio']:.2f} = {100 * v['of_ceiling']:.0f}% "
            f"of the streams' x{st['ratio']:.2f} | CPU per run {v['cpu_per_run_seq_s']:.3f} "
            f"-> {v['cpu_per_run_threads_s']:.3f} s (x{v['cpu_growth']:.2f}; sys "
            f"{1e3 * v['sys_per_run_threads_s']:.1f} ms, {v['faults_per_run_threads']:.0f} "
            f"page faults, preempted {v['preempted_per_run_threads']:.0f}x), wall/CPU "
            f"{v['wall_over_cpu_threads']:.2f}, others {v['others_cores']:.2f} cores: "
            f"{verdict}")
    f = raw["first_round"]
    fu = np.array(f["usage"])
    out["quad"]["first_round"] = dict(two_threads_s=f["wall"], faults=fu[:, 2].tolist(),
                                      sys_s=fu[:, 1].tolist(), others_cores=f["others"])
    log(f"  [threads quad] first round in the fresh threads (not in the figures above): "
        f"{f['wall']:.3f} s, page faults {int(fu[0, 2])}, {int(fu[1, 2])}, sys "
        f"{1e3 * fu[0, 1]:.1f}, {1e3 * fu[1, 1]:.1f} ms (each thread's new malloc arena)")
    return out


if __name__ == "__main__":
    a = [int(x) for x in sys.argv[1:5]]
    print(json.dumps(measure(*a)))
