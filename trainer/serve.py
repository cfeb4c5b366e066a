"""`trainer serve`: the app under gunicorn, as production runs it (docs/deploy.md).

The command checks the settings (a wrong or missing one stops here, in Vietnamese), then
becomes gunicorn (exec: the same process, so systemd's PID is the master's) serving
`trainer.wsgi:app`. The master never imports the app: each worker builds its own, so that
`systemctl reload` (HUP) starts workers on the new code, and no state is shared between
processes except PostgreSQL and Redis. Each worker limits numpy's BLAS to BLAS_THREADS threads
(trainer.wsgi): with two threads per worker, the workers of a 2-core machine fight over the
cores (measured in benchmarks/bench_serve.py)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

DEFAULT_BIND = "127.0.0.1:8000"
DEFAULT_THREADS = 4


def default_workers() -> int:
    return max(2, os.cpu_count() or 1)


def limit_blas(threads: int) -> None:
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=threads, user_api="blas")
    threadpool_limits(limits=threads, user_api="openmp")


def settle_memory() -> None:
    """Once a worker's app is built: move every object alive then (modules, the catalog, the
    models' metadata) out of the garbage collector's reach, so that its full passes walk only
    what requests allocate. A 1,000-statement xAPI batch took 813 ms at p50 and 955 ms at most
    without it, 668 ms and 800 ms with it (benchmarks/bench_xapi.py)."""
    import gc
    gc.collect()
    gc.freeze()


def gunicorn_argv(*, bind: str, workers: int, threads: int, log_level: str,
                  timeout: int) -> list[str]:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    return [gunicorn, "--bind", bind, "--workers", str(workers), "--threads", str(threads),
            "--worker-class", "gthread" if threads > 1 else "sync",
            "--timeout", str(timeout), "--graceful-timeout", "30",
            # Recycle workers now and then: pandas-heavy pages let a process grow.
            "--max-requests", "2000", "--max-requests-jitter", "200",
            # The app writes one line per request itself (trainer.core.logs): no access log here.
            "--error-logfile", "-", "--log-level", log_level.lower(),
            "--no-control-socket",  # gunicorn 27's ~/.gunicorn socket: not needed
            "--name", "trainer", "trainer.wsgi:app"]


def run(**kwargs) -> None:
    argv = gunicorn_argv(**kwargs)
    os.execv(argv[0], argv)
