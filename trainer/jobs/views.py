"""The job pages `/viec`: a user's jobs, asking for one (POST, from an export's offer), its page
with a progress bar (static/jobs.js polls its status; without JavaScript a “Tải lại” link), its
status as JSON, and the download. Only the user who asked reaches a job: others get 404."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, \
    url_for
from flask_login import current_user, login_required

from trainer.core.errors import DomainError
from trainer.core.exports import send_xlsx
from trainer.jobs import operations as ops

bp = Blueprint("jobs", __name__, url_prefix="/viec")


def offer(kind_name: str):
    """What an export's GET answers when the export is a job: a page that says so, with the
    button that asks for it (a GET never starts work). Called by the area's view."""
    kind = ops.KINDS[kind_name]
    query = request.query_string.decode("utf-8", "replace")
    unavailable = "" if current_app.config["REDIS_URL"] else ops.UNCONFIGURED
    back = request.referrer or ""
    if not back.startswith(request.host_url):  # only back to a page of this site
        back = ""
    return render_template("jobs/offer.html", kind=kind, query=query, unavailable=unavailable,
                           back=back)


def _unavailable(message: str, code: int = 503):
    return render_template("jobs/unavailable.html", message=message), code


@bp.route("/", methods=["GET"])
@login_required
def index():
    try:
        jobs = ops.jobs_of(current_user)
    except ops.JobsUnavailable as e:
        return _unavailable(str(e))
    return render_template("jobs/index.html", jobs=jobs)


@bp.route("/", methods=["POST"])
@login_required
def create():
    """Queue the export named `viec` with the filters `tham-so` (the query string of its GET)."""
    kind = ops.KINDS.get(request.form.get("viec", ""))
    if kind is None:
        abort(404)
    if current_user.role not in kind.roles:
        abort(403)
    query = request.form.get("tham-so", "")
    try:
        job_id = ops.enqueue(kind.name, current_user, path=url_for(kind.endpoint), query=query)
    except ops.JobsUnavailable as e:
        return _unavailable(str(e))
    except DomainError as e:
        return render_template("jobs/offer.html", kind=kind, query=query, unavailable="",
                               error=str(e), back=""), 409
    return redirect(url_for("jobs.show", job_id=job_id), code=303)


def _own_or_404(job_id: str) -> tuple[ops.JobInfo, bool]:
    """The asking user's job (404 for anyone else's) and whether a worker will do it."""
    info = ops.job_of(current_user, job_id)
    if info is None:
        abort(404)
    return info, info.finished or ops.worker_running()


@bp.route("/<job_id>")
@login_required
def show(job_id: str):
    try:
        info, worker = _own_or_404(job_id)
    except ops.JobsUnavailable as e:
        return _unavailable(str(e))
    return render_template("jobs/show.html", job=info, worker=worker)


@bp.route("/<job_id>/trang-thai")
@login_required
def status(job_id: str):
    """The job's state for static/jobs.js."""
    try:
        info, worker = _own_or_404(job_id)
    except ops.JobsUnavailable as e:
        return jsonify({"state": "unavailable", "text": str(e), "finished": False}), 503
    return jsonify({"state": info.state, "text": info.text, "percent": info.percent,
                    "step": info.step, "finished": info.finished, "worker": worker,
                    "download": url_for("jobs.download", job_id=info.id)
                    if info.state == ops.DONE else None})


@bp.route("/<job_id>/tai-ve")
@login_required
def download(job_id: str):
    """The workbook, for its day: every download is an audit row, as a direct export's is."""
    try:
        found = ops.file_of(current_user, job_id)
    except ops.JobsUnavailable as e:
        return _unavailable(str(e))
    if found is None:
        abort(404)
    _, data, heading = found
    return send_xlsx(data, **heading)
