"""Small helpers shared by the benchmarks: wait for an idle machine, best-of-N timing, and
the quick mode."""

import contextlib
import os
import time

#: ``SPECTRUST_BENCH_QUICK=1``: every benchmark on a few clips, each timing once, without
#: waiting for an idle machine: a check that the scripts run as documented
#: (tests/test_benches.py), not figures.
QUICK = bool(os.environ.get("SPECTRUST_BENCH_QUICK"))


def scaled(n: int) -> int:
    """``n`` inputs, or 4 in a quick run."""
    return 4 if QUICK else n


def _cpu_times():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return sum(fields), fields[3] + fields[4]  # total, idle + iowait


def busy_fraction(seconds: float = 1.0) -> float:
    """Fraction of all CPU time spent busy over the next ``seconds`` (0..1)."""
    t0, i0 = _cpu_times()
    time.sleep(seconds)
    t1, i1 = _cpu_times()
    return 1.0 - (i1 - i0) / max(1, t1 - t0)


def wait_idle(threshold: float = 0.1, timeout: float = 600.0) -> float:
    """Wait (up to ``timeout`` s) until other processes use < ``threshold`` of the CPUs.

    Timings on a 2-core machine are meaningless while something else (a compiler, a test
    run) holds a core. Returns the last busy fraction seen and warns if it never settled.
    With the environment variable BENCH_NO_WAIT set it does not wait (for trying a script).
    """
    if os.environ.get("BENCH_NO_WAIT") or QUICK:  # a functional run; figures not for the record
        return 0.0
    deadline = time.monotonic() + timeout
    busy = busy_fraction()
    while busy >= threshold and time.monotonic() < deadline:
        time.sleep(5)
        busy = busy_fraction()
    if busy >= threshold:
        print(f"  WARNING: machine still {busy:.0%} busy; timings are unreliable")
    return busy


def best_of(fn, repeat: int = 3, warmup: int = 1) -> float:
    """Best wall time in seconds of ``repeat`` calls of ``fn()`` after ``warmup`` calls (one
    call in a quick run)."""
    return best_interleaved({"fn": fn}, rounds=repeat, warmup=warmup)["fn"]


def _one_thread():
    """Pins BLAS and OpenMP to one thread in a worker process (before numpy is imported there,
    and through threadpoolctl for what is already loaded)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = "1"
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass


@contextlib.contextmanager
def worker_pool(processes: int):
    """``processes`` worker processes (spawned, BLAS and OpenMP at one thread each): the
    reference at equal parallelism, N processes against spectrust's N threads."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context, initializer=_one_thread) as pool:
        yield pool


def in_processes(fn, items: list, processes: int, chunksize: int = 1) -> float:
    """Best wall time of ``fn`` over ``items`` in ``processes`` worker processes (spawned once,
    BLAS and OpenMP at one thread each, warmed up on every item first): the reference at equal
    parallelism, N processes against spectrust's N threads. ``fn`` must be a module-level
    function."""
    with worker_pool(processes) as pool:
        return best_of(lambda: list(pool.map(fn, items, chunksize=chunksize)))


def best_interleaved(fns: dict, rounds: int = 3, warmup: int = 1) -> dict:
    """Best wall time in seconds of each of ``fns`` (name: function) over ``rounds`` rounds that
    call each once in turn, after ``warmup`` calls of each (one call each in a quick run).

    Competitors timed in turn share the machine's quiet and busy spells: on a VM whose
    neighbours come and go, ``best_of`` of one and then of the other can give one a busy spell
    of seconds that the other misses, and the ratio swings with it.
    """
    if QUICK:
        rounds, warmup = 1, 0
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best
