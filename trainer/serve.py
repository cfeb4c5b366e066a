"""`trainer serve`: the app under gunicorn, as production runs it (docs/deploy.md).

Each worker builds its own app (no state shared between processes except PostgreSQL and Redis)
and limits numpy's BLAS to BLAS_THREADS threads: with two threads per worker, the workers of a
2-core machine fight over the cores (measured: the engine under load took 9.5 s wall with two
threads, 2.6 s with one)."""
from __future__ import annotations

import os

from gunicorn.app.base import BaseApplication

DEFAULT_BIND = "127.0.0.1:8000"
DEFAULT_THREADS = 4


def default_workers() -> int:
    return max(2, os.cpu_count() or 1)


def limit_blas(threads: int) -> None:
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=threads, user_api="blas")
    threadpool_limits(limits=threads, user_api="openmp")


def _post_worker_init(worker) -> None:
    limit_blas(int(worker.app.callable.config["BLAS_THREADS"]))


class Server(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from trainer import create_app
        return create_app()


def options(*, bind: str, workers: int, threads: int, log_level: str, timeout: int) -> dict:
    return {
        "bind": bind, "workers": workers, "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": timeout, "graceful_timeout": 30,
        # Recycle workers now and then: pandas-heavy pages let a process grow.
        "max_requests": 2000, "max_requests_jitter": 200,
        "accesslog": None,  # the app writes one line per request itself (trainer.logs)
        "errorlog": "-", "loglevel": log_level.lower(),
        "control_socket_disable": True,  # gunicorn 27's ~/.gunicorn socket: not needed here
        "post_worker_init": _post_worker_init,
        "proc_name": "trainer",
    }


def run(**kwargs) -> None:
    Server(options(**kwargs)).run()
