"""The JSON API, /api/v1 (issue 5). Same operations and the same scopes as the web pages: every
view asks learning.access who may see what and calls one operation of the area; it only reads
arguments, serialises and commits. Errors are JSON `{"error": "<Vietnamese message>"}`.
Described by openapi.py, served at /api/v1/openapi.json; docs/api.md for people."""
from __future__ import annotations

import math
from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, jsonify, request
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from trainer.api import serialize
from trainer.api.auth import user_for_token
from trainer.api.openapi import MAX_ID, openapi_document
from trainer.auth.tokens import limit_per_credential
from trainer.catalog.models import Course
from trainer.core import events
from trainer.core.display import fold, name_key
from trainer.core.errors import DomainError, NotAllowed
from trainer.core.extensions import db
from trainer.core.params import JsonRefused, json_limits, read_json
from trainer.core.text import clean
from trainer.feedback import queries as feedback
from trainer.guidance.operations import guidance_for
from trainer.learning import operations as ops
from trainer.learning.access import (get_cohort_for_school_or_404, get_official_or_404,
                                     officials_filter)
from trainer.learning.models import ENROLLMENT_STATUSES, Cohort, Enrollment
from trainer.learning.queries import qualification_status
from trainer.mentoring import queries as mentoring
from trainer.mentoring.models import MENTORSHIP_STATUSES
from trainer.org.models import Unit
from trainer.org.queries import every_unit, unit_subtree_ids, visible_unit_ids
from trainer.people.models import Official
from trainer.reviews import queries as reviews
from trainer.staffing.queries import staffing_summary
from trainer.targets import operations as targets

bp = Blueprint("api", __name__, url_prefix="/api/v1")
limit_per_credential(bp)
PER_PAGE, MAX_PER_PAGE = 50, 200
MAX_SEARCH = 200
HR = ("hr", "admin")
PUBLIC = {"api.openapi", "api.not_found"}

MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    401: "Cần mã truy cập hợp lệ: gửi tiêu đề “Authorization: Bearer <mã>”.",
    403: "Tài khoản không có quyền thực hiện thao tác này.",
    404: "Không tìm thấy.",
    405: "Phương thức không được hỗ trợ tại địa chỉ này.",
    409: "Yêu cầu mâu thuẫn với dữ liệu hiện có.",
    413: "Dữ liệu gửi lên quá lớn.",
    415: "Dữ liệu gửi lên phải là JSON.",
    429: "Quá nhiều yêu cầu với mã truy cập này trong thời gian ngắn: hãy gửi chậm lại.",
    500: "Lỗi máy chủ. Vui lòng thử lại sau.",
}


def error(status: int, message: str | None = None):
    response = jsonify(error=message or MESSAGES.get(status, MESSAGES[400]))
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="trainer"'
    return response


class BadRequest(DomainError):
    """An argument or body field the API cannot read (400, not 409: nothing was tried)."""


# ---------------------------------------------------------------------------- errors and auth
@bp.errorhandler(BadRequest)
def _bad_request(e):
    return error(400, str(e))


@bp.errorhandler(NotAllowed)
def _not_allowed(e):
    db.session.rollback()
    return error(403, str(e))


@bp.errorhandler(DomainError)
def _domain_error(e):
    db.session.rollback()
    return error(409, str(e))


def _http_error(e):
    response = error(e.code or 500)
    if isinstance(e, MethodNotAllowed) and e.valid_methods:
        response.headers["Allow"] = ", ".join(e.valid_methods)
    return response


# By code as well: Flask prefers the app's handler for a code (the HTML error page) to a
# blueprint's handler for a class.
bp.register_error_handler(HTTPException, _http_error)
for _code in MESSAGES:
    bp.register_error_handler(_code, _http_error)


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_found(rest):
    """Anything under /api/v1 that no route takes (an unknown path, an id that is not a number):
    a JSON 404, or 405 when the path exists for other methods — never the HTML error page."""
    allowed = allowed_methods()
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed)
    raise NotFound()


def allowed_methods() -> list[str]:
    """The methods the request's path takes, this catch-all left out. The app's error handler
    asks too, for a method no route takes at all (TRACE, PROPFIND…): routing's own Allow would
    list the catch-all's methods."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST"):
        try:
            endpoint, _ = adapter.match(method=method)
        except HTTPException:
            continue
        if endpoint != "api.not_found":
            allowed.append(method)
    return allowed


@bp.url_value_preprocessor
def _ids_in_range(endpoint, values):
    """An id of 0 or beyond 32 bits names nothing (and would overflow PostgreSQL's integer)."""
    for name, value in (values or {}).items():
        if name.endswith("_id") and not 1 <= value <= MAX_ID:
            abort(404)


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC:
        return None
    user = user_for_token(request.headers.get("Authorization"))
    if user is None:
        return error(401)
    g.api_user = user
    g._login_user = user  # the request acts as this account (current_user, the audit log)
    return None


def _user():
    return g.api_user


def roles(*allowed: str):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if _user().role not in allowed:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


# ---------------------------------------------------------------------------- arguments
def _int_arg(name: str, *, default: int | None = None, low: int = 1, high: int = MAX_ID):
    text = request.args.get(name, "").strip()
    if not text:
        return default
    # at most 10 digits first: Python refuses to read an integer of thousands of digits
    if not (text.isascii() and text.isdigit() and len(text) <= 10) \
            or not low <= int(text) <= high:
        raise BadRequest(f"Tham số “{name}” phải là số nguyên từ {low} đến {high}.")
    return int(text)


def _flag_arg(name: str) -> bool:
    text = request.args.get(name, "").strip().lower()
    if text in ("", "0", "false"):
        return False
    if text in ("1", "true"):
        return True
    raise BadRequest(f"Tham số “{name}” chỉ nhận 1 hoặc 0.")


def _search_arg() -> str:
    """?q=, folded (no diacritics, lower case) as the web's search boxes do."""
    text = clean(request.args.get("q"))
    if len(text) > MAX_SEARCH:
        raise BadRequest(f"Tham số “q” tối đa {MAX_SEARCH} ký tự.")
    return fold(text)


def _page_args() -> tuple[int, int]:
    return (_int_arg("page", default=1),
            _int_arg("per_page", default=PER_PAGE, high=MAX_PER_PAGE))


def _page(items: list, total: int, page: int, per_page: int):
    return jsonify(items=items, page=page, per_page=per_page, total=total,
                   pages=max(1, math.ceil(total / per_page)))


def _body() -> dict:
    """The JSON object sent, within the limits of the settings (trainer.core.params.read_json:
    depth, list length and string length checked before parsing, without recursion)."""
    try:
        body = read_json(request.get_data(cache=False), **json_limits(current_app.config))
    except JsonRefused as e:
        raise BadRequest(str(e)) from None
    if not isinstance(body, dict):
        raise BadRequest("Nội dung gửi lên phải là một đối tượng JSON.")
    return body


def _id_field(body: dict, name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise BadRequest(f"Trường “{name}” phải là số nguyên dương.")
    return value


# ---------------------------------------------------------------------------- the document
@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_document())


# ---------------------------------------------------------------------------- officials
@bp.route("/officials")
def officials():
    """The officials the user may see (learning.access), ?unit= (with its sub-units), ?q= (name
    or code, without diacritics, as on the web), in Vietnamese order (given name first)."""
    user = _user()
    page, per_page = _page_args()
    where = officials_filter(user)
    unit_id = _int_arg("unit")
    if unit_id is not None:
        visible = visible_unit_ids(user)
        if db.session.get(Unit, unit_id) is None or (visible is not None
                                                      and unit_id not in visible):
            abort(404)
        where = sa.and_(where, Official.unit_id.in_(unit_subtree_ids(unit_id)))
    rows = db.session.execute(sa.select(Official.id, Official.full_name, Official.code)
                              .where(where)).all()
    needle = _search_arg()
    if needle:
        rows = [r for r in rows if needle in fold(r.full_name) or needle in r.code.casefold()]
    rows.sort(key=lambda r: (name_key(r.full_name), r.id))  # Vietnamese order, as on the web
    ids = [r.id for r in rows[(page - 1) * per_page: page * per_page]]
    found = {o.id: o for o in db.session.scalars(sa.select(Official).where(Official.id.in_(ids))
                                                 .options(selectinload(Official.unit),
                                                          selectinload(Official.position)))}
    return _page([serialize.official(found[i]) for i in ids], len(rows), page, per_page)


@bp.route("/officials/<int:official_id>")
def official(official_id: int):
    found = get_official_or_404(_user(), official_id)
    events.audit_access("official_view", subject_type="official", subject_id=found.id,
                        detail="qua API")
    return jsonify(serialize.official_detail(found, qualification_status(found)))


@bp.route("/officials/<int:official_id>/gaps")
@roles("official", *HR)
def official_gaps(official_id: int):
    found = get_official_or_404(_user(), official_id)
    guidance = guidance_for(found, with_mentors=False)
    return jsonify(official_id=found.id, gaps=[serialize.gap(x) for x in guidance.gaps])


@bp.route("/officials/<int:official_id>/learning-path")
@roles("official", *HR)
def official_learning_path(official_id: int):
    """The shortest path of courses closing the official's gaps (LC-P1), each with the cohorts
    still taking enrollments — what /toi and the HR's official page show."""
    found = get_official_or_404(_user(), official_id)
    guidance = guidance_for(found, with_mentors=False)
    open_by_course: dict[int, list[dict]] = {}
    for cohort, seats in ops.open_cohorts([s.course_id for s in guidance.path]):
        open_by_course.setdefault(cohort.course_id, []).append(serialize.cohort(cohort, seats))
    return jsonify(official_id=found.id, hours=guidance.path_hours,
                   courses=[serialize.path_step(s, open_by_course.get(s.course_id, []))
                            for s in guidance.path],
                   uncovered=guidance.uncovered)


# ---------------------------------------------------------------------------- courses, cohorts
@bp.route("/courses")
def courses():
    """The catalogue every signed-in user sees (learning.catalog), ?q= as there."""
    page, per_page = _page_args()
    rows = db.session.scalars(sa.select(Course).options(selectinload(Course.provider))
                              .order_by(Course.category, Course.name, Course.id)).all()
    needle = _search_arg()
    if needle:
        rows = [c for c in rows if needle in fold(c.name) or needle in fold(c.code)]
    return _page([serialize.course(c) for c in rows[(page - 1) * per_page: page * per_page]],
                 len(rows), page, per_page)


def _seats_left(cohorts: list[Cohort]) -> dict[int, int]:
    taken = ops.seat_counts()
    rows = db.session.execute(sa.select(taken.c.cohort_id, taken.c.n).where(
        taken.c.cohort_id.in_([c.id for c in cohorts]))).all()
    counts = dict(rows)
    return {c.id: c.capacity - counts.get(c.id, 0) for c in cohorts}


@bp.route("/cohorts")
def cohorts():
    """Cohorts, ?course=; ?open=1: only those still taking enrollments (learning.open_cohorts),
    soonest first; otherwise all, latest start first."""
    page, per_page = _page_args()
    course_id = _int_arg("course")
    if _flag_arg("open"):
        course_ids = ([course_id] if course_id is not None
                      else list(db.session.scalars(sa.select(Course.id))))
        rows = ops.open_cohorts(course_ids)
        return _page([serialize.cohort(c, seats) for c, seats in
                      rows[(page - 1) * per_page: page * per_page]], len(rows), page, per_page)
    where = Cohort.course_id == course_id if course_id is not None else sa.true()
    total = db.session.scalar(sa.select(sa.func.count(Cohort.id)).where(where))
    rows = db.session.scalars(sa.select(Cohort).where(where).options(selectinload(Cohort.course))
                              .order_by(Cohort.start_date.desc(), Cohort.id.desc())
                              .offset((page - 1) * per_page).limit(per_page)).all()
    seats = _seats_left(rows)
    return _page([serialize.cohort(c, seats[c.id]) for c in rows], total, page, per_page)


@bp.route("/cohorts/<int:cohort_id>/results", methods=["POST"])
@roles("school", "admin")
def cohort_results(cohort_id: int):
    """The school records results for its cohort: all or nothing (learning.record_results)."""
    cohort = get_cohort_for_school_or_404(_user(), cohort_id)
    results = _results(_body())
    recorded = ops.record_results(cohort, results, assessor=_user().display_name)
    db.session.commit()
    return jsonify(cohort_id=cohort.id, recorded=recorded)


def _results(body: dict) -> dict[int, tuple[str, float | None]]:
    items = body.get("results")
    if not isinstance(items, list) or not items:
        raise BadRequest("Trường “results” phải là danh sách kết quả, ít nhất một mục.")
    out = {}
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise BadRequest(f"Kết quả thứ {n} phải là một đối tượng.")
        enrollment_id = _id_field(item, "enrollment_id")
        if enrollment_id is None:
            raise BadRequest(f"Kết quả thứ {n} thiếu “enrollment_id”.")
        if enrollment_id in out:
            raise BadRequest(f"Đăng ký #{enrollment_id} có hai kết quả.")
        outcome = item.get("outcome")
        if outcome not in ("completed", "failed"):
            raise BadRequest(f"Kết quả thứ {n}: “outcome” phải là “completed” hoặc “failed”.")
        out[enrollment_id] = (outcome, _score(item.get("score"), n))
    return out


def _score(value, n: int) -> float | None:
    """A finite number or null; its range (0–10, the pass mark) is the operation's rule."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequest(f"Kết quả thứ {n}: “score” phải là một số.")
    try:
        score = float(value)
    except OverflowError:  # an integer too large for a float
        score = math.inf
    if not math.isfinite(score):
        raise BadRequest(f"Kết quả thứ {n}: “score” phải là một số hữu hạn.")
    return score


# ---------------------------------------------------------------------------- enrollments
@bp.route("/enrollments")
def enrollments():
    """An official's own; an HR's officials (learning.access); a school's: the enrollments in its
    courses; an admin's: all. ?cohort=, ?status=."""
    user = _user()
    page, per_page = _page_args()
    if user.role == "school":
        where = Enrollment.course_id.in_(sa.select(Course.id).where(
            Course.provider_id == user.provider_id))
    else:
        where = Enrollment.official_id.in_(sa.select(Official.id).where(officials_filter(user)))
    cohort_id = _int_arg("cohort")
    if cohort_id is not None:
        where = sa.and_(where, Enrollment.cohort_id == cohort_id)
    status = request.args.get("status", "").strip()
    if status:
        if status not in dict(ENROLLMENT_STATUSES):
            raise BadRequest(f"Trạng thái “{status}” không hợp lệ.")
        where = sa.and_(where, Enrollment.status == status)
    total = db.session.scalar(sa.select(sa.func.count(Enrollment.id)).where(where))
    rows = db.session.scalars(
        sa.select(Enrollment).where(where)
        .options(selectinload(Enrollment.official), selectinload(Enrollment.course))
        .order_by(Enrollment.created_at.desc(), Enrollment.id.desc())
        .offset((page - 1) * per_page).limit(per_page)).all()
    return _page([serialize.enrollment(e) for e in rows], total, page, per_page)


@bp.route("/enrollments", methods=["POST"])
@roles("official")
def enroll():
    """An official enrolls themselves in a cohort, or in a self-paced online course; with the
    warning the web shows when their unit would have too many officials away at once."""
    user = _user()
    found = get_official_or_404(user, user.official_id)
    body = _body()
    cohort_id, course_id = _id_field(body, "cohort_id"), _id_field(body, "course_id")
    if (cohort_id is None) == (course_id is None):
        raise BadRequest("Gửi đúng một trong hai trường “cohort_id” hoặc “course_id”.")
    cohort = db.session.get(Cohort, cohort_id) if cohort_id is not None else None
    course = db.session.get(Course, course_id) if course_id is not None else None
    if cohort is None and course is None:
        abort(404)
    away = ops.away_warning(found, cohort)
    enrollment = ops.enroll_official(found, cohort=cohort, course=course)
    db.session.commit()
    return jsonify({**serialize.enrollment(enrollment), "away_warning": away}), 201


@bp.route("/enrollments/<int:enrollment_id>/withdraw", methods=["POST"])
@roles("official")
def withdraw(enrollment_id: int):
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.official_id != _user().official_id:
        abort(404)  # another's enrollment: as if it did not exist (the web does the same)
    ops.withdraw_enrollment(enrollment, enrollment.official)
    db.session.commit()
    return jsonify(serialize.enrollment(enrollment))


@bp.route("/enrollments/<int:enrollment_id>/decision", methods=["POST"])
@roles("hr", "admin")
def decide(enrollment_id: int):
    """HR of the official's unit approves or rejects a request, as on the web (Duyệt đăng ký)."""
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None:
        abort(404)
    get_official_or_404(_user(), enrollment.official_id)  # outside the scope: 404
    body = _body()
    decision, reason = body.get("decision"), body.get("reason", "")
    if decision not in ("approve", "reject"):
        raise BadRequest("Trường “decision” phải là “approve” hoặc “reject”.")
    if not isinstance(reason, str) or len(reason) > 300:
        raise BadRequest("Trường “reason” phải là chuỗi tối đa 300 ký tự.")
    approve = decision == "approve"
    away = ops.away_warning(enrollment.official, enrollment.cohort) if approve else None
    ops.decide_enrollment(enrollment, approve=approve, actor=_user().display_name,
                          reason=reason)
    db.session.commit()
    return jsonify({**serialize.enrollment(enrollment), "away_warning": away})


# ---------------------------------------------------------------------------- targets
def _facts():
    """Progress over the user's scope, as the targets dashboard computes it."""
    if targets.ensure_presets():
        db.session.commit()
    user = _user()
    return targets.facts_for(officials_filter(user), unit_ids=visible_unit_ids(user))


@bp.route("/feedback/courses")
@roles("school", *HR)
def feedback_courses():
    """The web's averages by course (/phan-hoi), same scope and threshold."""
    scope = feedback.scope_for(_user())
    if scope is None:
        abort(403)
    rows = feedback.by_course(scope).to_dict("records")
    return jsonify(threshold=feedback.MIN_ANSWERS,
                   items=[serialize.course_feedback(row) for row in rows])


@bp.route("/staffing")
@roles(*HR)
def staffing():
    """Approved vs filled headcount per unit and position (/bien-che), in the user's scope;
    ?unit= narrows to a unit and everything under it."""
    user = _user()
    visible = visible_unit_ids(user)
    unit_ids = None if every_unit(visible) else visible
    unit_id = _int_arg("unit")
    unit = None
    if unit_id is not None:
        unit = db.session.get(Unit, unit_id)
        if unit is None or (visible is not None and unit_id not in visible):
            abort(404)
        unit_ids = unit_subtree_ids(unit_id)
    return jsonify(unit={"id": unit.id, "code": unit.code, "name": unit.name} if unit else None,
                   **staffing_summary(unit_ids))


@bp.route("/review-campaigns")
@roles(*HR)
def review_campaigns():
    """The review campaigns HR follows (/dot-danh-gia), with their totals (docs/reviews.md)."""
    campaigns = reviews.campaigns_in_scope(visible_unit_ids(_user()))
    totals = reviews.campaign_totals([c.id for c in campaigns])
    return jsonify(items=[serialize.review_campaign(c, totals[c.id]) for c in campaigns])


@bp.route("/review-campaigns/<int:campaign_id>")
@roles(*HR)
def review_campaign(campaign_id: int):
    """One campaign's progress by unit, as its page shows it."""
    campaign = reviews.campaign_in_scope(campaign_id, visible_unit_ids(_user()))
    if campaign is None:
        abort(404)
    rows, totals = reviews.progress_by_unit(campaign)
    return jsonify(serialize.review_campaign(campaign, totals, units=rows))


@bp.route("/mentorships")
@roles(*HR)
def mentorships():
    """The mentorships of mentees in scope (/kem-cap), ?status=, paged (docs/mentoring.md)."""
    page, per_page = _page_args()
    status = request.args.get("status", "").strip() or None
    if status is not None and status not in dict(MENTORSHIP_STATUSES):
        raise BadRequest("Tham số “status” chỉ nhận active, closed hoặc cancelled.")
    items, total = mentoring.mentorships_page(visible_unit_ids(_user()), status=status,
                                              page=page, per_page=per_page)
    totals = mentoring.session_totals(m.id for m in items)
    return _page([serialize.mentorship(m, totals.get(m.id, (0, 0))) for m in items], total,
                 page, per_page)


@bp.route("/targets")
@roles(*HR)
def target_list():
    outlooks = targets.all_outlooks(facts=_facts())
    return jsonify(items=[serialize.target(o) for o in outlooks])


@bp.route("/targets/<code>")
@roles(*HR)
def target_detail(code: str):
    facts = _facts()
    target = targets.target_by_code(code) if len(code) <= 32 and "\x00" not in code else None
    if target is None:
        abort(404)
    outlook = targets.outlook_of(targets.progress_of(target, facts), facts)
    return jsonify(serialize.target(outlook, detail=True, texts=targets.describe(
        target, young_age=facts.young_age)))
