"""Background exports on RQ (docs/jobs.md).

An area registers each slow export under a name (`register_export`): its label, and the view
that answers it (`?format=xlsx`). A GET of that view offers the job (trainer.jobs.views.offer);
the POST of the offer enqueues it here. The worker (`trainer worker`) then runs **the view
itself**, in a request made from the path and query string of the request that asked, signed in
as the asking user re-loaded from the database: the same role check, the same scope
(officials_filter, visible_unit_ids), the same filters as a direct download would have — each
rule stays in one place. In a job the view returns an `ExportFile` instead of a response; the
worker writes the workbook and keeps it in Redis for a day.

Everything a job is lives in Redis: the RQ job (its status, and its `meta`: owner, progress, the
step in Vietnamese, the file's name and size, the error), the file itself, and each user's list
of jobs. A web process that restarts loses nothing; only the asking user reaches a job (others:
404), and downloading the file writes the export's audit row, as a direct export does."""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
from flask import current_app, g, has_app_context, request
from werkzeug.exceptions import HTTPException

from trainer.auth.models import User
from trainer.core.errors import DomainError
from trainer.core.exports import xlsx_bytes
from trainer.core.extensions import db
from trainer.core.forms_util import WTFormsVietnamese
from trainer.core.params import BadParameter
from trainer.core.store import redis_client

log = logging.getLogger("trainer.jobs")

KEEP_SECONDS = 24 * 3600  # a job, its file and its place in the owner's list are kept a day
JOB_TIMEOUT = 30 * 60  # a job still running after this is stopped by the worker (and fails)
MAX_OPEN = 3  # jobs a user may have waiting or running at once
MAX_QUERY = 2000  # characters of the query string a job is asked with
PERFORM = "trainer.jobs.operations.perform"


class JobsUnavailable(DomainError):
    """Redis is not configured or does not answer: no job can be queued or read."""


class JobFailed(Exception):
    """A job stopped with a Vietnamese message for its owner (kept in the job's meta)."""


# ------------------------------------------------------------------------------- the registry
@dataclass(frozen=True)
class Kind:
    name: str  # "targets.report"
    label: str  # what the job page calls it
    endpoint: str  # the view that answers it
    roles: tuple[str, ...]  # who may ask (the view checks again when it runs)


KINDS: dict[str, Kind] = {}


def register_export(name: str, label: str, *, endpoint: str, roles: tuple[str, ...]) -> None:
    """An area makes one of its exports a background job (called when its views are imported)."""
    KINDS[name] = Kind(name, label, endpoint, tuple(roles))


@dataclass
class ExportFile:
    """What an export view returns inside a job: the frames of the workbook and its heading."""
    sheets: dict[str, pd.DataFrame]
    title: str
    unit: str
    filename: str

    @property
    def rows(self) -> int:
        return sum(len(frame) for frame in self.sheets.values())


def running() -> bool:
    """Whether this code runs inside a job (the worker), not in a web request."""
    return has_app_context() and g.get("_trainer_job") is not None


def progress(percent: float, step: str) -> None:
    """Tell the job's page how far it is (0–100) and what it does now; nothing outside a job."""
    job = g.get("_trainer_job") if has_app_context() else None
    if job is None:
        return
    meta = job.meta
    meta["progress"] = max(int(meta.get("progress") or 0), min(100, int(percent)))
    meta["step"] = step
    meta.setdefault("log", []).append([meta["progress"], step,
                                       round(time.monotonic() - g._trainer_job_started, 2)])
    job.save_meta()


# ------------------------------------------------------------------------------- Redis and RQ
def _prefix() -> str:
    return current_app.config["REDIS_PREFIX"]


def queue_name() -> str:
    """One queue per deployment (REDIS_PREFIX): two deployments, or two test runs, sharing a
    Redis never take each other's jobs."""
    return f"{_prefix()}:exports"


def _owner_key(user_id: int) -> str:
    return f"{_prefix()}:jobs:owner:{user_id}"


def _file_key(job_id: str) -> str:
    return f"{_prefix()}:jobs:file:{job_id}"


UNCONFIGURED = ("Máy chủ chưa cấu hình hàng đợi việc nền (Redis, thiết lập TRAINER_REDIS_URL) nên "
                "chưa tạo được các báo cáo lớn. Hãy báo quản trị viên.")
UNREACHABLE = ("Không kết nối được hàng đợi việc nền (Redis). Vui lòng thử lại sau ít phút; nếu "
               "vẫn lỗi, hãy báo quản trị viên.")


def _client():
    client = redis_client()
    if client is None:
        raise JobsUnavailable(UNCONFIGURED)
    return client


def _queue(client):
    from rq import Queue
    from rq.serializers import JSONSerializer
    return Queue(queue_name(), connection=client, serializer=JSONSerializer)


def _redis_errors():
    import redis
    return (redis.RedisError, OSError)


# ------------------------------------------------------------------------------- a job, as shown
WAITING, RUNNING, DONE, FAILED = "waiting", "running", "done", "failed"
_STATES = {"queued": WAITING, "deferred": WAITING, "scheduled": WAITING, "created": WAITING,
           "started": RUNNING, "finished": DONE, "failed": FAILED, "stopped": FAILED,
           "canceled": FAILED}
LOST = ("Tiến trình nền đã dừng giữa chừng (khởi động lại hoặc chạy quá "
        f"{JOB_TIMEOUT // 60} phút). Hãy tạo lại báo cáo.")


@dataclass
class JobInfo:
    id: str
    kind: str
    label: str
    state: str  # waiting, running, done, failed
    percent: int
    step: str
    error: str
    filename: str
    rows: int
    size: int
    asked_at: datetime | None
    ended_at: datetime | None
    log: list = field(default_factory=list)

    @property
    def text(self) -> str:
        """The status in Vietnamese, as the page and its JSON say it."""
        if self.state == WAITING:
            return "Đang chờ"
        if self.state == RUNNING:
            return f"Đang chạy – {self.step}" if self.step else "Đang chạy"
        if self.state == DONE:
            return "Xong"
        return f"Lỗi: {self.error or LOST}"

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)


def _info(job) -> JobInfo:
    meta = job.meta or {}
    status = job.get_status(refresh=False)
    state = _STATES.get(getattr(status, "value", status) or "queued", WAITING)
    return JobInfo(
        id=job.id, kind=meta.get("kind", ""), label=meta.get("label", ""), state=state,
        percent=100 if state == DONE else int(meta.get("progress") or 0),
        step=meta.get("step", ""), error=meta.get("error", ""),
        filename=meta.get("filename", ""), rows=int(meta.get("rows") or 0),
        size=int(meta.get("size") or 0), asked_at=_aware(job.enqueued_at or job.created_at),
        ended_at=_aware(job.ended_at), log=meta.get("log", []))


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _fetch(client, job_id: str):
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    from rq.serializers import JSONSerializer
    try:
        return Job.fetch(job_id, connection=client, serializer=JSONSerializer)
    except NoSuchJobError:
        return None


def _owned(job, user) -> bool:
    meta = job.meta or {}
    return meta.get("owner") == user.id and meta.get("prefix") == _prefix()


def job_of(user, job_id: str) -> JobInfo | None:
    """The user's own job; None when it does not exist, expired, or is someone else's."""
    if not _is_id(job_id):
        return None
    try:
        job = _fetch(_client(), job_id)
        if job is None or not _owned(job, user):
            return None
        return _info(job)
    except _redis_errors():
        raise JobsUnavailable(UNREACHABLE) from None


def jobs_of(user, limit: int = 20) -> list[JobInfo]:
    """The user's jobs of the last day, newest first."""
    from rq.job import Job
    from rq.serializers import JSONSerializer
    client = _client()
    key = _owner_key(user.id)
    try:
        client.zremrangebyscore(key, "-inf", time.time() - KEEP_SECONDS)
        ids = [i.decode() for i in client.zrevrange(key, 0, limit - 1)]
        jobs = Job.fetch_many(ids, connection=client, serializer=JSONSerializer) if ids else []
    except _redis_errors():
        raise JobsUnavailable(UNREACHABLE) from None
    return [_info(j) for j in jobs if j is not None and _owned(j, user)]


def file_of(user, job_id: str) -> tuple[JobInfo, bytes, dict] | None:
    """(the job, the workbook, its heading) of the user's own finished job; None otherwise."""
    info = job_of(user, job_id)
    if info is None or info.state != DONE:
        return None
    client = _client()
    try:
        data = client.get(_file_key(job_id))
        job = _fetch(client, job_id)
    except _redis_errors():
        raise JobsUnavailable(UNREACHABLE) from None
    if data is None or job is None:
        return None
    meta = job.meta
    return info, data, {"title": meta.get("title", ""), "unit": meta.get("unit", ""),
                        "filename": meta.get("filename", "bao-cao.xlsx"),
                        "rows": int(meta.get("rows") or 0)}


def worker_running() -> bool:
    """Whether a worker listens on this deployment's queue now."""
    from rq import Worker
    try:
        client = _client()
        return Worker.count(connection=client, queue=_queue(client)) > 0
    except _redis_errors():
        return False


def _is_id(job_id: str) -> bool:
    return 8 <= len(job_id) <= 64 and all(c in "0123456789abcdef-" for c in job_id)


# ------------------------------------------------------------------------------- asking
def enqueue(kind_name: str, user, *, path: str, query: str) -> str:
    """Queue the export `kind_name` for `user`, asked at `path?query`; its id. The same export
    with the same filters still waiting or running is not queued twice: its id is returned."""
    kind = KINDS.get(kind_name)
    if kind is None:
        raise DomainError("Không có loại báo cáo này.")
    if user.role not in kind.roles:
        raise DomainError("Tài khoản của bạn không có quyền tạo báo cáo này.")
    if len(query) > MAX_QUERY:
        raise DomainError("Bộ lọc của báo cáo quá dài.")
    client = _client()
    try:
        open_jobs = [j for j in jobs_of(user, limit=50) if not j.finished]
        queue = _queue(client)
        for info in open_jobs:
            job = _fetch(client, info.id)
            if job is not None and list(job.args) == [kind.name, user.id, path, query]:
                return info.id
        if len(open_jobs) >= MAX_OPEN:
            raise DomainError(f"Bạn đang có {len(open_jobs)} báo cáo chưa xong. Vui lòng đợi "
                              "chúng xong rồi tạo báo cáo mới.")
        job = queue.enqueue_call(
            PERFORM, args=(kind.name, user.id, path, query), timeout=JOB_TIMEOUT,
            result_ttl=KEEP_SECONDS, failure_ttl=KEEP_SECONDS, ttl=KEEP_SECONDS,
            description=kind.label,
            meta={"owner": user.id, "prefix": _prefix(), "kind": kind.name, "label": kind.label,
                  "progress": 0, "step": "", "log": []})
        client.zadd(_owner_key(user.id), {job.id: time.time()})
        client.expire(_owner_key(user.id), KEEP_SECONDS)
    except _redis_errors():
        raise JobsUnavailable(UNREACHABLE) from None
    log.info("job %s queued: %s for user %s", job.id, kind.name, user.id)
    return job.id


# ------------------------------------------------------------------------------- the worker
_main_pid: int | None = None  # the worker's own process; a job in another one is a fork


def perform(kind_name: str, user_id: int, path: str, query: str) -> dict:
    """The job, in the worker: run the export's view as its user would, write the workbook,
    keep it. Raises JobFailed (with its Vietnamese message in the job's meta) when it cannot."""
    from rq import get_current_job
    if not has_app_context():
        raise RuntimeError("run jobs with `trainer worker`: it provides the app")
    app = current_app._get_current_object()
    job = get_current_job()
    if _main_pid is not None and os.getpid() != _main_pid:
        db.engine.dispose(close=False)  # a forked work horse opens connections of its own
    started = time.monotonic()
    try:
        with app.app_context(), app.test_request_context(path, query_string=query):
            g._trainer_job, g._trainer_job_started = job, started
            return _run(app, job, kind_name, user_id)
    except JobFailed as e:
        _fail(job, str(e))
        raise
    except Exception as e:  # noqa: BLE001 — the owner sees a sentence, the log the traceback
        message = _message(e, job)
        if message is None:
            log.exception("job %s (%s) failed", job.id if job else "?", kind_name)
            message = ("Hệ thống gặp lỗi khi tạo tệp. Vui lòng thử lại sau; nếu lỗi lặp lại, hãy "
                       f"báo quản trị viên (mã việc {job.id if job else '?'}).")
        _fail(job, message)
        raise JobFailed(message) from None


def _run(app, job, kind_name: str, user_id: int) -> dict:
    kind = KINDS.get(kind_name)
    if kind is None:
        raise JobFailed("Không có loại báo cáo này (phiên bản phần mềm đã thay đổi).")
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        raise JobFailed("Tài khoản đã bị khóa hoặc không còn: báo cáo không được tạo.")
    # What the app's before_request would give the view: the user (Flask-Login reads it from g)
    # and WTForms' Vietnamese messages.
    g._login_user = user
    request.wtforms_translations = WTFormsVietnamese()
    if request.url_rule is None or request.url_rule.endpoint != kind.endpoint:
        raise JobFailed("Địa chỉ của báo cáo không còn đúng (phiên bản phần mềm đã thay đổi).")
    progress(5, "Đang đọc số liệu")
    result = app.view_functions[kind.endpoint](**(request.view_args or {}))
    if not isinstance(result, ExportFile):
        raise JobFailed("Báo cáo không tạo được tệp (tài khoản không còn quyền hoặc phiên bản "
                        "phần mềm đã thay đổi).")
    progress(85, f"Đang ghi tệp Excel ({result.rows} dòng)")
    data = xlsx_bytes(result.sheets, title=result.title, unit=result.unit)
    db.session.rollback()  # a job writes nothing (its view only reads)
    client = redis_client()
    client.set(_file_key(job.id), data, ex=KEEP_SECONDS)
    job.meta.update(filename=result.filename, title=result.title, unit=result.unit,
                    rows=result.rows, size=len(data))
    progress(100, "Xong")
    log.info("job %s done: %s, %d rows, %d bytes", job.id, kind.name, result.rows, len(data))
    return {"filename": result.filename, "rows": result.rows, "size": len(data)}


def _message(error: Exception, job) -> str | None:
    """The owner's sentence for an error the view raised; None for an unexpected one."""
    from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
    if isinstance(error, BadParameter):
        return error.description
    if isinstance(error, HTTPException):
        if error.code == 403:
            return "Tài khoản của bạn không có quyền tạo báo cáo này."
        if error.code == 404:
            return ("Không tìm thấy đơn vị, mục tiêu hoặc hồ sơ được yêu cầu (đã bị xóa, hoặc "
                    "nằm ngoài phạm vi bạn được xem).")
        return "Yêu cầu tạo báo cáo không hợp lệ."
    if isinstance(error, DomainError):
        return str(error)
    if isinstance(error, (OperationalError, InterfaceError, DisconnectionError)):
        log.warning("job %s: database unreachable (%s)", job.id if job else "?",
                    type(error).__name__)
        return "Không truy cập được cơ sở dữ liệu. Vui lòng thử lại sau ít phút."
    return None


def _fail(job, message: str) -> None:
    if job is None:
        return
    job.meta["error"] = message
    job.meta["step"] = ""
    try:
        job.save_meta()
    except _redis_errors():
        log.warning("job %s: could not record its error", job.id)


def work(*, burst: bool = False, simple: bool = False) -> bool:
    """Run a worker on this deployment's queue (`trainer worker`): each job in a forked process
    of its own (memory back after each export, a crash loses one job), or in this process with
    `simple` (the test suite). With `burst`, stop once the queue is empty. Whether any job ran."""
    import redis
    from rq import SimpleWorker, Worker
    from rq.serializers import JSONSerializer
    global _main_pid
    url = current_app.config["REDIS_URL"]
    if not url:
        raise JobsUnavailable(UNCONFIGURED)
    # Its own connection: the web's times out after 2 s, the worker waits on the queue longer.
    connection = redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)
    try:
        connection.ping()
    except _redis_errors():
        raise JobsUnavailable(f"Không kết nối được Redis tại {url}.") from None
    _main_pid = os.getpid()
    cls = SimpleWorker if simple else Worker
    from rq import Queue
    queue = Queue(queue_name(), connection=connection, serializer=JSONSerializer)
    worker = cls([queue], connection=connection, serializer=JSONSerializer)
    return worker.work(burst=burst, logging_level=current_app.config["LOG_LEVEL"])
