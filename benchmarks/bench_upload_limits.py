"""Issue 9: what a hostile upload costs the server. Builds a zip-bomb .xlsx (a sheet of hundreds
of MB of repeated rows, a few hundred KB to a few MB on the wire) and a 1,000,000-row .xlsx
(annual ratings, three columns: under the 20 MB upload limit), then uploads each through the web
preview (POST /nhap-du-lieu, as HR) in a fresh server process of its own and reports that
process's peak memory (VmHWM) before and after the upload, the time the request took, and the
answer. Prints one JSON object. Usage:

    .venv/bin/python benchmarks/bench_upload_limits.py [--rows 1000000] [--bomb-mb 570]
    # the same files against the code before the limits (trainer/core/tabular.py of a commit):
    git show 82dbf2c:trainer/core/tabular.py > /tmp/imports_before.py
    .venv/bin/python benchmarks/bench_upload_limits.py --before /tmp/imports_before.py

A temporary SQLite database (migrated) is used; the files are written to a temporary folder."""
from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
    '+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
HEADERS = ("Số định danh cá nhân", "Năm", "Xếp loại")


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def write_xlsx(path: Path, rows, *, last_row: int | None) -> None:
    """A minimal workbook of one sheet streamed into the zip (nothing held in memory): the
    header row, then `rows` (lists of cell XML); `<dimension>` when last_row is given, as Excel
    writes it."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                        b'2006/main">')
            if last_row:
                sheet.write(f'<dimension ref="A1:C{last_row}"/>'.encode())
            sheet.write(b"<sheetData>")
            header = "".join(_cell(f"{c}1", h) for c, h in zip("ABC", HEADERS))
            sheet.write(f'<row r="1">{header}</row>'.encode())
            buf = []
            for i, row in enumerate(rows, start=2):
                buf.append(row(i))
                if len(buf) == 10_000:
                    sheet.write("".join(buf).encode())
                    buf.clear()
            sheet.write("".join(buf).encode())
            sheet.write(b"</sheetData></worksheet>")


def million_rows(path: Path, n: int) -> None:
    """n ratings rows (identification number, year, rating), with the <dimension> Excel
    writes."""
    def row(i: int) -> str:
        return (f'<row r="{i}">{_cell(f"A{i}", f"0121900{i:05d}"[-12:])}<c r="B{i}"><v>2025'
                f'</v></c>{_cell(f"C{i}", "Hoàn thành nhiệm vụ")}</row>')
    write_xlsx(path, (row for _ in range(n)), last_row=n + 1)


def zip_bomb(path: Path, megabytes: int) -> None:
    """The same row again and again until the sheet holds `megabytes` MB, no <dimension>
    (nothing gives it away but its size once inflated): millions of rows for the reader."""
    line = ('<row><c t="inlineStr"><is><t>012190000001</t></is></c><c><v>2025</v></c>'
            '<c t="inlineStr"><is><t>Hoàn thành nhiệm vụ</t></is></c></row>')  # no r=: each
    # row and cell is the next one
    n = megabytes * 1024 * 1024 // len(line.encode())
    write_xlsx(path, (lambda _i: line for _ in range(n)), last_row=None)


# ---------------------------------------------------------------------------- one upload
def peak_kb() -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))


def child(file: Path, database: str, before: str | None) -> dict:
    """In its own process: the app, an HR sign-in, a small warm-up upload, then the file."""
    from trainer import create_app
    app = create_app({"ENV": "test", "TESTING": True, "SQLALCHEMY_DATABASE_URI": database,
                      "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_FAST": True,
                      "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://",
                      "LOG_LEVEL": "ERROR", "PROPAGATE_EXCEPTIONS": False})
    if before:  # the code before the limits: its read_table in place of today's
        import importlib.util

        import trainer.interchange.operations as xops
        spec = importlib.util.spec_from_file_location("imports_before", before)
        old = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = old  # its dataclasses look their module up
        spec.loader.exec_module(old)
        xops.read_table = old.read_table
    client = app.test_client()
    assert client.post("/dang-nhap", data={"username": "bench", "password": "matkhau123"}) \
        .status_code == 302
    small = io.BytesIO()
    import pandas as pd
    pd.DataFrame([{h: "" for h in HEADERS}]).to_excel(small, index=False)
    client.post("/nhap-du-lieu", data={"kind": "ratings", "file": (io.BytesIO(small.getvalue()),
                                                                   "nho.xlsx")},
                content_type="multipart/form-data")
    start_kb = peak_kb()
    data = file.read_bytes()
    t = time.perf_counter()
    response = client.post("/nhap-du-lieu", data={"kind": "ratings",
                                                  "file": (io.BytesIO(data), file.name)},
                           content_type="multipart/form-data")
    seconds = time.perf_counter() - t
    page = response.get_data(as_text=True)
    alert = re.search(r'class="alert[^"]*"[^>]*>\s*(.*?)\s*<', page, re.DOTALL)
    return {"status": response.status_code, "seconds": round(seconds, 2),
            "peak_mb_before_upload": round(start_kb / 1024), "peak_mb": round(peak_kb() / 1024),
            "message": alert.group(1)[:200] if alert else None}


def prepare(database: str) -> None:
    from tests.conftest import reset_schema
    from trainer import create_app
    from trainer.auth.operations import create_user
    from trainer.core.extensions import db
    from trainer.org.models import Unit
    reset_schema(database)
    app = create_app({"ENV": "test", "SQLALCHEMY_DATABASE_URI": database,
                      "PASSWORD_HASH_FAST": True, "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        top = Unit(code="BM", name="Tỉnh", kind="province")
        db.session.add(top)
        db.session.flush()
        create_user("bench", "matkhau123", "hr", "HR tỉnh", unit_id=top.id)
        db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--bomb-mb", type=int, default=570)
    parser.add_argument("--before", help="an older trainer/core/tabular.py to measure instead")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child), args.database, args.before)))
        return
    folder = Path(tempfile.mkdtemp())
    database = f"sqlite:///{folder}/bench.db"
    prepare(database)
    files = {"zip_bomb": folder / "bom.xlsx", "million_rows": folder / "trieu-dong.xlsx"}
    t = time.perf_counter()
    zip_bomb(files["zip_bomb"], args.bomb_mb)
    million_rows(files["million_rows"], args.rows)
    out = {"code": "before (" + args.before + ")" if args.before else "with the limits",
           "files_built_seconds": round(time.perf_counter() - t, 1)}
    for name, path in files.items():
        with zipfile.ZipFile(path) as zf:
            inflated = sum(i.file_size for i in zf.infolist())
        command = [sys.executable, __file__, "--child", str(path), "--database", database]
        if args.before:
            command += ["--before", args.before]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        result = (json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0
                  else {"failed": done.returncode, "stderr": done.stderr[-500:]})
        out[name] = {"file_mb": round(path.stat().st_size / 2**20, 2),
                     "inflated_mb": round(inflated / 2**20), **result}
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
