"""Small helpers every blueprint uses: who may open a page (by role), and run one operation and
commit once, or roll back."""
from __future__ import annotations

from contextlib import contextmanager
from functools import wraps

from flask import abort, flash
from flask_login import current_user, login_required

from trainer.core.errors import DomainError, ImportRejected
from trainer.core.extensions import db


@contextmanager
def one_commit(success: str | None = None):
    """The request owns the one commit (STYLE.md §3): commit if the block succeeds; on a broken
    rule roll back everything and show the Vietnamese message."""
    outcome = {"ok": False}
    try:
        yield outcome
        db.session.commit()
        outcome["ok"] = True
        if success:
            flash(success, "success")
    except ImportRejected as e:
        db.session.rollback()
        outcome["errors"] = e.errors
        flash(str(e), "danger")
    except DomainError as e:
        db.session.rollback()
        flash(str(e), "danger")


def role_required(*roles: str):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator
