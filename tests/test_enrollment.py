"""Enrollment keeps its promises (issue 3): approval, capacity and waitlist with promotion,
deadlines, cancellation, reminders, notifications and the e-mail outbox — also under
concurrent requests."""
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from trainer.catalog.models import Course
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.learning import operations as ops
from trainer.learning.models import Enrollment
from trainer.notices.models import Notification, OutboxEmail

TODAY = today()


def _course(code):
    return db.session.scalar(sa.select(Course).where(Course.code == code))


def _kinds(official):
    return db.session.scalars(sa.select(Notification.kind).where(
        Notification.official_id == official.id).order_by(Notification.id)).all()


def test_a_course_needing_approval_takes_a_seat_only_once_approved(make_cohort, make_official):
    course = db.session.scalar(sa.select(Course).where(Course.requires_approval.is_(True),
                                                       Course.mode != "online"))
    cohort = make_cohort(course.code, capacity=1)
    first, second = make_official(email="a@x.vn"), make_official()
    e1, e2 = ops.enroll_official(first, cohort=cohort), ops.enroll_official(second, cohort=cohort)
    assert (e1.status, e2.status, ops.seats_taken(cohort)) == ("requested", "requested", 0)
    ops.approve_enrollment(e2, actor="Trưởng phòng Nội vụ")
    ops.approve_enrollment(e1, actor="Trưởng phòng Nội vụ")
    assert (e2.status, e1.status) == ("enrolled", "waitlisted")  # approval order decides
    assert e1.decided_by == "Trưởng phòng Nội vụ"
    assert _kinds(first) == ["approved", "waitlisted"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail).where(
        OutboxEmail.to_address == "a@x.vn")) == 2  # only the official with an address
    with pytest.raises(DomainError, match="chờ duyệt"):
        ops.approve_enrollment(e1, actor="x")


def test_rejection_is_told_and_frees_the_course(make_cohort, make_official):
    course = db.session.scalar(sa.select(Course).where(Course.requires_approval.is_(True),
                                                       Course.mode != "online"))
    cohort = make_cohort(course.code)
    official = make_official()
    enrollment = ops.enroll_official(official, cohort=cohort)
    ops.reject_enrollment(enrollment, actor="HR", reason="Chưa đủ 3 năm công tác.")
    assert enrollment.status == "rejected" and _kinds(official) == ["rejected"]
    assert ops.enroll_official(official, cohort=cohort).status == "requested"  # may ask again


def test_a_freed_seat_promotes_the_first_waitlisted(make_cohort, make_official):
    cohort = make_cohort(capacity=2)
    people = [make_official() for _ in range(4)]
    enrollments = [ops.enroll_official(p, cohort=cohort) for p in people]
    assert [e.status for e in enrollments] == ["enrolled", "enrolled", "waitlisted", "waitlisted"]
    assert [ops.waitlist_position(e) for e in enrollments[2:]] == [1, 2]
    ops.withdraw_enrollment(enrollments[0], people[0])
    assert [e.status for e in enrollments] == ["withdrawn", "enrolled", "enrolled", "waitlisted"]
    assert ops.waitlist_position(enrollments[3]) == 1
    assert _kinds(people[2]) == ["waitlisted", "promoted"]
    # Leaving the waitlist frees no seat and promotes nobody.
    ops.withdraw_enrollment(enrollments[3], people[3])
    assert ops.seats_taken(cohort) == 2


def test_one_course_at_a_time_across_cohorts(make_cohort, make_official):
    a, b = make_cohort(), make_cohort()
    official = make_official()
    ops.enroll_official(official, cohort=a)
    with pytest.raises(DomainError, match="đang đăng ký"):
        ops.enroll_official(official, cohort=b)


def test_enrollment_closes_at_the_deadline_and_when_the_class_starts(make_cohort, make_official):
    closed = make_cohort(starts_in=10, enrollment_deadline=TODAY - timedelta(days=1))
    with pytest.raises(DomainError, match="hết hạn đăng ký"):
        ops.enroll_official(make_official(), cohort=closed)
    open_ = make_cohort(starts_in=10, enrollment_deadline=TODAY)
    assert ops.enroll_official(make_official(), cohort=open_).status == "enrolled"
    assert [c.code for c, _ in ops.open_cohorts([open_.course_id])] == [open_.code]
    with pytest.raises(DomainError, match="trước ngày khai giảng"):
        make_cohort(starts_in=5, enrollment_deadline=TODAY + timedelta(days=6))


def test_cancelling_a_cohort_tells_everyone(make_cohort, make_official):
    cohort = make_cohort(capacity=1)
    people = [make_official() for _ in range(2)]
    for p in people:
        ops.enroll_official(p, cohort=cohort)
    with pytest.raises(DomainError, match="lý do"):
        ops.cancel_cohort(cohort, reason=" ")
    assert ops.cancel_cohort(cohort, reason="Giảng viên ốm") == 2
    assert {e.status for e in cohort.enrollments} == {"cancelled"}
    assert all(_kinds(p)[-1] == "cancelled" for p in people)
    with pytest.raises(DomainError, match="không còn nhận"):
        ops.enroll_official(make_official(), cohort=cohort)


def test_starting_a_cohort_puts_the_seated_in_progress(make_cohort, make_official):
    cohort = make_cohort(capacity=1)
    seated = ops.enroll_official(make_official(), cohort=cohort)
    waiting = ops.enroll_official(make_official(), cohort=cohort)
    ops.start_cohort(cohort, on=cohort.start_date)
    assert (cohort.status, seated.status, waiting.status) == ("running", "in_progress",
                                                              "cancelled")
    ops.record_result(seated, passed=True, score=7.5)
    assert seated.status == "completed"


def test_starting_soon_reminder_is_sent_once(make_cohort, make_official):
    soon, later = make_cohort(starts_in=3), make_cohort(starts_in=30)
    official = make_official()
    ops.enroll_official(official, cohort=soon)
    ops.enroll_official(make_official(), cohort=later)
    assert ops.remind_starting_cohorts(within_days=7) == 1
    assert ops.remind_starting_cohorts(within_days=7) == 0
    assert _kinds(official).count("starting") == 1


class FakeSMTP:
    """Stands in for smtplib.SMTP: records messages, or fails like a server that is down."""
    sent: list = []
    down = False

    def __init__(self, host, port, timeout=None):
        if FakeSMTP.down:
            raise ConnectionRefusedError(111, "Connection refused")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_message(self, message):
        FakeSMTP.sent.append(message)


def test_outbox_keeps_mail_while_the_server_is_down_and_sends_later(app, make_official,
                                                                     monkeypatch):
    from trainer.notices import operations as notices
    monkeypatch.setattr(notices.smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent, FakeSMTP.down = [], True
    notices.notify(make_official(email="mai@laichau.gov.vn"), "result", "Có kết quả", "Điểm 8.")
    db.session.commit()
    config = {"MAIL_SERVER": "smtp.local", "MAIL_FROM": "dao-tao@laichau.gov.vn"}
    assert notices.send_outbox(config) == (0, 1)
    mail = db.session.scalar(sa.select(OutboxEmail))
    assert mail.sent_at is None and mail.attempts == 1 and "Connection refused" in mail.last_error
    FakeSMTP.down = False
    assert notices.send_outbox(config) == (1, 0)
    assert notices.send_outbox(config) == (0, 0)  # nothing sent twice
    assert FakeSMTP.sent[0]["To"] == "mai@laichau.gov.vn"
    assert "Có kết quả" in FakeSMTP.sent[0]["Subject"]


def test_hr_approves_only_within_its_scope(app, catalog, make_unit, make_official, make_user,
                                           login, make_cohort):
    course = db.session.scalar(sa.select(Course).where(Course.requires_approval.is_(True),
                                                       Course.mode != "online"))
    cohort = make_cohort(course.code)
    mine, other = make_unit(), make_unit()
    ours = ops.enroll_official(make_official(unit=mine), cohort=cohort)
    theirs = ops.enroll_official(make_official(unit=other), cohort=cohort)
    db.session.commit()
    c = login(make_user("hr", unit_id=mine.id))
    page = c.get("/duyet-dang-ky").get_data(as_text=True)
    assert ours.official.full_name in page and theirs.official.full_name not in page
    assert c.post(f"/duyet-dang-ky/{theirs.id}", data={"decision": "approve"}).status_code == 404
    assert c.post(f"/duyet-dang-ky/{ours.id}", data={"decision": "approve"}).status_code == 302
    db.session.expire_all()
    assert (db.session.get(Enrollment, ours.id).status,
            db.session.get(Enrollment, theirs.id).status) == ("enrolled", "requested")


def _fire(app, users, cohort_id, barrier):
    """Each user, in its own thread and client, posts an enrollment at the same moment."""
    codes, errors = [], []

    def run(user):
        try:
            client = app.test_client()
            client.post("/dang-nhap", data={"username": user, "password": "matkhau123"})
            barrier.wait(timeout=30)
            codes.append(client.post("/dang-ky", data={"cohort_id": cohort_id}).status_code)
        except Exception as e:  # surfaced by the assertion below
            errors.append(repr(e))
    threads = [threading.Thread(target=run, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return codes, errors


def test_concurrent_enrollments_never_overfill_nor_fail(app, make_cohort, make_official,
                                                        make_user):
    cohort = make_cohort(capacity=5)
    people = [make_official() for _ in range(14)]
    users = [make_user("official", official_id=p.id).username for p in people]
    db.session.commit()
    codes, errors = _fire(app, users, cohort.id, threading.Barrier(len(users)))
    assert errors == [] and codes == [302] * len(users)  # no 500, every request answered
    db.session.expire_all()
    rows = db.session.execute(sa.select(Enrollment.id, Enrollment.official_id, Enrollment.status)
                              .where(Enrollment.cohort_id == cohort.id)
                              .order_by(Enrollment.id)).all()
    statuses = [r.status for r in rows]
    assert len(rows) == 14 and len({r.official_id for r in rows}) == 14
    assert statuses.count("enrolled") == 5 and statuses.count("waitlisted") == 9
    # Served in arrival order: the seats went to the first five, the waitlist follows.
    assert statuses == ["enrolled"] * 5 + ["waitlisted"] * 9


def test_a_double_submit_enrolls_once(app, make_cohort, make_official, make_user):
    cohort = make_cohort(capacity=5)
    official = make_official()
    user = make_user("official", official_id=official.id).username
    db.session.commit()
    codes, errors = _fire(app, [user] * 4, cohort.id, threading.Barrier(4))
    assert errors == [] and codes == [302] * 4
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrollment).where(
        Enrollment.official_id == official.id)) == 1


def test_an_expired_completion_may_be_retaken_a_valid_one_not(app, catalog, make_official):
    course = db.session.scalar(sa.select(Course).where(Course.validity_months.is_not(None),
                                                       Course.mode == "online"))
    official = make_official()
    done = ops.enroll_official(official, course=course)
    ops.record_result(done, passed=True, score=8, on=TODAY - timedelta(days=10))
    with pytest.raises(DomainError, match="đã hoàn thành"):
        ops.enroll_official(official, course=course)
    done.completed_on = TODAY - timedelta(days=31 * course.validity_months + 1)
    assert ops.completion_expired(done.completed_on, course.validity_months)
    assert ops.enroll_official(official, course=course).status == "enrolled"


def test_a_cohort_finishes_only_when_everyone_has_a_result(make_cohort, make_official):
    cohort = make_cohort(capacity=3)
    a, b = (ops.enroll_official(make_official(), cohort=cohort) for _ in range(2))
    with pytest.raises(DomainError, match="chưa khai giảng"):
        ops.finish_cohort(cohort)
    ops.start_cohort(cohort, on=cohort.start_date)
    ops.record_result(a, passed=True, score=6)
    with pytest.raises(DomainError, match="Còn 1 học viên chưa có kết quả"):
        ops.finish_cohort(cohort)
    ops.mark_no_show(b)
    ops.finish_cohort(cohort)
    assert cohort.status == "finished"
