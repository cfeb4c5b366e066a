#!/usr/bin/env bash
# Make sure a PostgreSQL server answers at the test URL; start or install one (as CI's root can).
# Fails loudly rather than letting the suite skip PostgreSQL.
set -euo pipefail
url="${1:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! command -v pg_isready >/dev/null 2>&1 || ! ready; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "PostgreSQL không có trên máy: cài bằng apt-get..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    ver=$(ls /etc/postgresql | head -n1)
    sed -i 's/^\(local\|host\)\(.*\)\(peer\|scram-sha-256\|md5\)$/\1\2trust/' /etc/postgresql/"$ver"/main/pg_hba.conf
  fi
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 30); do ready && break; sleep 1; done
fi
ready || { echo "PostgreSQL không phản hồi tại 127.0.0.1:5432" >&2; exit 1; }
# The test database must exist.
db="${url##*/}"
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE \"$db\""
echo "PostgreSQL sẵn sàng: $url"
