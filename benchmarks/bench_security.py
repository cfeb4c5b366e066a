"""What the security of issue 9 costs and hides, measured (prints one JSON object):
- the audit log's cost per record view: HR opening official records (/can-bo/<id>) with the
  audit row written, and with the write replaced by nothing, in the same run;
- sign-in answer times with production's argon2 parameters: a wrong password for an existing
  account against an unknown username (they must be alike: the time must not tell which
  usernames exist);
- the session check's cost: a signed-in page against the same page's work without it is not
  separable, so the figure given is the whole request.
Usage: .venv/bin/python benchmarks/bench_security.py [--officials 1500] [--views 200]
       [--database URL]"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def median_ms(samples: list[float]) -> float:
    return round(1000 * statistics.median(samples), 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--officials", type=int, default=1500)
    parser.add_argument("--views", type=int, default=200)
    parser.add_argument("--logins", type=int, default=15)
    parser.add_argument("--database")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.db"

    import sqlalchemy as sa

    from tests.conftest import reset_schema
    from trainer import create_app
    from trainer.core.extensions import db
    reset_schema(url)
    app = create_app({"ENV": "test", "SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_FAST": True,
                      "WTF_CSRF_ENABLED": False, "LOG_LEVEL": "WARNING",
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        from courses import load_catalog
        from trainer.audit import operations as audit
        from trainer.audit.models import AuditEvent
        from trainer.auth.operations import create_user
        from trainer.catalog.operations import sync_catalog
        from trainer.demo.generate import generate_demo
        from trainer.people.models import Official
        sync_catalog(load_catalog())
        generate_demo(args.officials, 2026)
        db.session.commit()
        ids = list(db.session.scalars(sa.select(Official.id).order_by(Official.id)))
        client = app.test_client()
        client.post("/dang-nhap", data={"username": "hr.tinh", "password": "demo1234"})

        def views(n):
            out = []
            for i in range(n):
                start = time.perf_counter()
                assert client.get(f"/can-bo/{ids[i % len(ids)]}").status_code == 200
                out.append(time.perf_counter() - start)
            return out
        views(10)  # warm
        before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
        # Alternate the two so that the machine's noise falls on both alike.
        with_audit, without = [], []
        real = audit.record_access
        for _ in range(4):
            with_audit += views(args.views // 4)
            audit.record_access = lambda *a, **k: None
            try:
                without += views(args.views // 4)
            finally:
                audit.record_access = real
        written = db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) - before

        app.config["PASSWORD_HASH_FAST"] = False  # production's argon2 from here on
        create_user("that.co", "Mat-khau-that-2026", "admin", "Người có thật")
        db.session.commit()
        anonymous = app.test_client()

        def sign_ins(username):
            out = []
            for _ in range(args.logins):
                start = time.perf_counter()
                anonymous.post("/dang-nhap", data={"username": username, "password": "sai-roi"})
                out.append(time.perf_counter() - start)
            return out
        sign_ins("that.co")
        existing, unknown = [], []
        for _ in range(3):
            existing += sign_ins("that.co")
            unknown += sign_ins("khong.co.that")
        db.engine.dispose()
    result = {
        "database": url.split(":")[0], "officials": args.officials,
        "record_view_ms": {"with_audit_median": median_ms(with_audit),
                           "without_audit_median": median_ms(without),
                           "audit_cost_ms": round(median_ms(with_audit) - median_ms(without), 2),
                           "audit_rows_written": written, "views": len(with_audit)},
        "sign_in_wrong_password_ms": {"existing_user_median": median_ms(existing),
                                      "unknown_user_median": median_ms(unknown),
                                      "ratio": round(statistics.median(existing)
                                                     / statistics.median(unknown), 3)},
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
