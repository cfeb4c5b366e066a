#!/usr/bin/env bash
# Back up the database of TRAINER_DATABASE_URL into BACKUP_DIR and delete backups older than
# KEEP_DAYS; prints the file it wrote. Restore: docs/deploy.md, "Backup and restore".
#   PostgreSQL: pg_dump, custom format (compressed; restored with pg_restore).
#   SQLite (a single small machine): SQLite's online backup, safe while the app runs.
set -euo pipefail
umask 077   # backups hold personal data: readable by their owner only
: "${TRAINER_DATABASE_URL:?TRAINER_DATABASE_URL chưa được đặt (chạy với tệp môi trường của dịch vụ)}"
dir="${BACKUP_DIR:-/var/backups/trainer}"
keep="${KEEP_DAYS:-30}"
url="$TRAINER_DATABASE_URL"
mkdir -p "$dir"
stamp="$(date +%Y%m%d-%H%M%S)"
trap 'rm -f "${file:-}.part"' EXIT   # a failed run leaves no half-written file behind
case "$url" in
  postgresql*)
    file="$dir/trainer-$stamp.dump"
    pg_dump --format=custom --no-owner --file="$file.part" "${url/postgresql+psycopg:/postgresql:}"
    ;;
  sqlite:///*)
    file="$dir/trainer-$stamp.sqlite"
    db="${url#sqlite:///}"
    # A relative path is in the app's instance folder, as Flask-SQLAlchemy reads it.
    [[ "$db" == /* ]] || db="$(cd "$(dirname "$0")/.." && pwd)/instance/$db"
    [[ -f "$db" ]] || { echo "Không có tệp cơ sở dữ liệu $db" >&2; exit 2; }
    python3 - "$db" "$file.part" <<'PY'
import sqlite3, sys
source, target = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
with target:
    source.backup(target)
source.close(); target.close()
PY
    ;;
  *) echo "Không sao lưu được cơ sở dữ liệu loại này: $url" >&2; exit 2 ;;
esac
mv "$file.part" "$file"
find "$dir" -name 'trainer-*.dump' -mtime +"$keep" -delete
find "$dir" -name 'trainer-*.sqlite' -mtime +"$keep" -delete
echo "$file"
