from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user

from trainer.core.extensions import db
from trainer.core.views_util import role_required
from trainer.notices.models import Notification
from trainer.notices.operations import mark_read

bp = Blueprint("notices", __name__)


@bp.route("/thong-bao")
@role_required("official")
def inbox():
    notices = db.session.scalars(sa.select(Notification).where(
        Notification.official_id == current_user.official_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(100)).all()
    # Not `unread`: base.html sets that name (the menu's badge count) over the view's value.
    unread_ids = {n.id for n in notices if n.read_at is None}
    page = render_template("notices/inbox.html", notices=notices, unread_ids=unread_ids)
    # Read only once the page that shows them exists: a page that fails marks nothing.
    mark_read(current_user.official_id, unread_ids)
    db.session.commit()
    return page
