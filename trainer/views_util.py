"""Small helpers every blueprint uses: run one operation and commit once, or roll back."""
from __future__ import annotations

from contextlib import contextmanager

from flask import flash

from trainer.errors import DomainError, ImportRejected
from trainer.extensions import db


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
