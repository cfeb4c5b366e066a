"""Domain events (trainer.core.events): lower areas say what happened, higher ones listen."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from blinker import Namespace

from trainer.core import events
from trainer.core.extensions import db


def test_every_event_has_its_listener_once_the_models_are_imported():
    import trainer.models  # noqa: F401
    for signal in (events.official_told, events.mail_requested, events.audited):
        assert signal.receivers, signal.name


def test_an_event_nobody_hears_is_an_error_not_a_lost_notice():
    lonely = Namespace().signal("lonely")
    with pytest.raises(events.NobodyListens):
        events._deliver(lonely, x=1)


def test_tell_writes_the_notice_and_the_mail_through_the_notices_area(app, make_official):
    from trainer.notices.models import Notification, OutboxEmail
    official = make_official(email="a@b.vn")
    notice = events.tell(official, "result", "Kết quả", "Nội dung", link="/toi", dedupe_key="k1")
    assert isinstance(notice, Notification) and notice.official_id == official.id
    assert events.tell(official, "result", "Kết quả", dedupe_key="k1") is None  # sent once
    mails = db.session.scalars(sa.select(OutboxEmail)).all()
    assert [m.to_address for m in mails] == ["a@b.vn"]


def test_audit_is_written_in_the_callers_transaction(app):
    from trainer.audit.models import AuditEvent
    events.audit("unit", subject_type="unit", subject_id=7, detail="sửa")
    db.session.rollback()  # the change was not committed: neither is its audit row
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0
    events.audit("unit", subject_type="unit", subject_id=7, detail="sửa")
    db.session.commit()
    row = db.session.scalar(sa.select(AuditEvent))
    assert (row.action, row.subject_id, row.detail) == ("unit", 7, "sửa")
