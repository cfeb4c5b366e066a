"""The Redis connection web processes share (TRAINER_REDIS_URL). Flask-Limiter keeps its own
connection from the same URL; this one is for the health check and what later needs Redis."""
from __future__ import annotations

from flask import current_app


def redis_client():
    """One client per app (it pools its connections); None without TRAINER_REDIS_URL."""
    url = current_app.config["REDIS_URL"]
    if not url:
        return None
    client = current_app.extensions.get("trainer.redis")
    if client is None:
        import redis
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        current_app.extensions["trainer.redis"] = client
    return client
