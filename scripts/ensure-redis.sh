#!/usr/bin/env bash
# Make sure a Redis server answers at the test URL; start or install one (as CI's root can).
# Fails loudly rather than letting the suite skip Redis.
set -euo pipefail
url="${1:-redis://127.0.0.1:6379/0}"
hostport="${url#redis://}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"
ready() { python3 - "$host" "$port" <<'PY'
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
    s.sendall(b"PING\r\n")
    sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
PY
}
if ! ready; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "Redis không có trên máy: cài bằng apt-get..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind "$host" --port "$port" --save "" --appendonly no \
    --dir /tmp >/dev/null
  for _ in $(seq 1 30); do ready && break; sleep 0.5; done
fi
ready || { echo "Redis không phản hồi tại $host:$port" >&2; exit 1; }
echo "Redis sẵn sàng: $url"
