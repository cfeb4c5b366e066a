"""Logging: one line per request (method, route, status, duration, user id — no personal data,
no query string, no token from a path), and errors with their traceback, on standard error at
the level of the LOG_LEVEL setting. Under gunicorn the same lines reach the service's journal."""
from __future__ import annotations

import logging
import sys
import time

from flask import Flask, g, request

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def init_app(app: Flask) -> None:
    logger = logging.getLogger("trainer")  # app.logger is this logger (the app is named trainer)
    if not any(getattr(h, "_trainer", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._trainer = True
        logger.addHandler(handler)
    logger.setLevel(app.config["LOG_LEVEL"])
    logger.propagate = False  # one line, not a second copy through the root logger
    requests = logging.getLogger("trainer.request")

    @app.before_request
    def _start_clock() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        started = g.pop("request_started", None)
        if started is not None and requests.isEnabledFor(logging.INFO):
            requests.info("%s %s %s %.1fms user=%s", request.method, route_of(request),
                          response.status_code, (time.perf_counter() - started) * 1000,
                          _user_id())
        return response


def route_of(req) -> str:
    """The matched route's pattern (`/can-bo/<int:official_id>`), so that a path never writes an
    identifier or a reset token into the log; an unmatched path is cut at 120 characters."""
    if req.url_rule is not None:
        return req.url_rule.rule
    return req.path[:120]


def _user_id() -> str:
    """The account the request ran as, if the request loaded one (no query of its own)."""
    user = g.get("_login_user")  # where Flask-Login keeps the user it loaded
    return str(user.id) if user is not None and user.is_authenticated else "-"
