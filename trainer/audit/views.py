"""The audit log's screen for admins and province HR: filters, pages, Excel. (An official's
"who saw my record" is on their own page, records.my_viewers.)"""
from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from trainer.audit import operations as ops
from trainer.audit.forms import AuditFilterForm
from trainer.audit.models import ACTIONS, SUBJECTS
from trainer.auth.models import ROLES
from trainer.core.timeutil import aware
from trainer.core.exports import xlsx_response
from trainer.core.extensions import db
from trainer.core.params import MAX_PAGE, arg_choice, arg_int
from trainer.core.views_util import role_required
from trainer.org.queries import is_province_hr
from trainer.people.models import Official

bp = Blueprint("audit", __name__)
PAGE = 100
EXPORT_ROWS = 50_000


@bp.route("/nhat-ky")
@role_required("hr", "admin")
def events():
    if not is_province_hr(current_user):
        abort(403)
    form = AuditFilterForm(request.args)
    form.validate()
    filters = ops.Filters(action=form.action.data or "", actor=form.actor.data or "",
                          subject_type=form.subject_type.data or "",
                          start=form.start.data, end=form.end.data)
    official = None
    if form.official.data:
        official = db.session.scalar(sa.select(Official).where(
            Official.code == form.official.data.strip()))
        filters.subject_type, filters.subject_id = "official", official.id if official else -1
    q = ops.events_query(filters)
    if arg_choice("format", ("xlsx",)) == "xlsx":
        rows = db.session.scalars(q.limit(EXPORT_ROWS)).all()
        frame = pd.DataFrame({
            "Thời điểm": [aware(e.at) for e in rows],
            "Người thực hiện": [e.actor_name for e in rows],
            "Vai trò": [dict(ROLES).get(e.actor_role, e.actor_role) for e in rows],
            "Địa chỉ IP": [e.address for e in rows],
            "Thao tác": [dict(ACTIONS).get(e.action, e.action) for e in rows],
            "Đối tượng": [dict(SUBJECTS).get(e.subject_type, e.subject_type) for e in rows],
            "Mã đối tượng": [e.subject_id for e in rows],
            "Chi tiết": [e.detail for e in rows]})
        return xlsx_response({"Nhật ký": frame}, title="Nhật ký truy cập và thay đổi dữ liệu",
                             unit="Toàn tỉnh", filename="nhat-ky.xlsx")
    total = db.session.scalar(sa.select(sa.func.count()).select_from(q.order_by(None).subquery()))
    page = arg_int("page", min=1, max=MAX_PAGE, default=1)
    rows = db.session.scalars(q.offset((page - 1) * PAGE).limit(PAGE)).all()
    subjects = _subject_names(rows)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("audit/events.html", form=form, rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE)), args=args, actions=dict(ACTIONS),
                           subject_labels=dict(SUBJECTS), roles=dict(ROLES), subjects=subjects,
                           official=official)


def _subject_names(rows) -> dict[int, str]:
    """Names of the officials the rows are about (one query)."""
    ids = {e.subject_id for e in rows if e.subject_type == "official" and e.subject_id}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Official.id, Official.full_name)
                                   .where(Official.id.in_(ids))).all())
