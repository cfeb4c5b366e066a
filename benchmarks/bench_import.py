"""Issue 5: a 10,000-row officials roster, previewed then imported (the web's two steps: the
confirmation re-reads and re-validates the stored file), then the same file previewed again
(everything unchanged). Prints one JSON object. Usage:
    .venv/bin/python benchmarks/bench_import.py [--rows 10000] [--format xlsx|csv] [--database URL]
Default database: a temporary SQLite file (emptied and migrated first)."""
from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def roster(n: int, unit_codes: list[str]):
    import pandas as pd

    from trainer.people.identity import make_pid
    from trainer.people.operations import OFFICIAL_COLUMNS
    rows = []
    for i in range(n):
        birth = date(1965, 1, 1) + timedelta(days=(i * 37) % 14000)
        gender = "female" if i % 2 else "male"
        rows.append({
            "Mã cán bộ": f"BM{i:06d}", "Số định danh cá nhân": make_pid("012", birth, gender, i),
            "Họ và tên": f"Nguyễn Văn Thử {i}", "Ngày sinh": birth.strftime("%d/%m/%Y"),
            "Giới tính": "Nữ" if gender == "female" else "Nam", "Dân tộc": "Thái",
            "Mã đơn vị": unit_codes[i % len(unit_codes)], "Mã vị trí việc làm": "CV-VP",
            "Trình độ chuyên môn": "Đại học", "Chuyên ngành": "Luật",
            "Lý luận chính trị": "Trung cấp", "Quản lý nhà nước": "Chuyên viên",
            "Tin học": "Cơ bản", "Chữ ký số": "có", "Đã số hóa hồ sơ": "không",
            "Email": f"bm{i}@laichau.gov.vn"})
    return pd.DataFrame(rows, columns=list(OFFICIAL_COLUMNS))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    parser.add_argument("--database")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.db"

    from tests.conftest import reset_schema
    from trainer import create_app
    from trainer.core.extensions import db
    reset_schema(url)
    app = create_app({"ENV": "test", "SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_FAST": True})
    with app.app_context():
        from courses import load_catalog
        from trainer.catalog.operations import sync_catalog
        from trainer.interchange.operations import ImportScope, preview_import
        from trainer.org.models import Unit
        sync_catalog(load_catalog())
        top = Unit(code="BM", name="Tỉnh", kind="province")
        db.session.add(top)
        db.session.flush()
        codes = [f"BM-X{i:03d}" for i in range(100)]
        db.session.add_all([Unit(code=c, name=c, kind="commune", region="rural", parent_id=top.id)
                            for c in codes])
        db.session.commit()

        df = roster(args.rows, codes)
        buf = io.BytesIO()
        if args.format == "xlsx":
            df.to_excel(buf, index=False)
        else:
            buf.write(df.to_csv(index=False).encode("utf-8-sig"))
        content, name = buf.getvalue(), f"can-bo.{args.format}"
        scope = ImportScope(label="bench")

        def step(fn):
            start = time.perf_counter()
            out = fn()
            return round(time.perf_counter() - start, 3), out

        preview_s, plan = step(lambda: preview_import("officials", content, name, scope))

        def confirm():
            p = preview_import("officials", content, name, scope)
            counts = p.run()
            db.session.commit()
            return counts
        confirm_s, counts = step(confirm)
        again_s, again = step(lambda: preview_import("officials", content, name, scope))
        db.session.rollback()
        print(json.dumps({
            "rows": args.rows, "format": args.format, "bytes": len(content),
            "database": db.engine.dialect.name,
            "preview_s": preview_s, "confirm_s": confirm_s,
            "preview_plus_confirm_s": round(preview_s + confirm_s, 3),
            "created": counts["created"], "preview_errors": len(plan.errors),
            "reimport_preview_s": again_s, "reimport_unchanged": again.unchanged,
        }, ensure_ascii=False))


if __name__ == "__main__":
    main()
