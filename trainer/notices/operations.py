"""Notifications: one in-app message per event, and an e-mail in the outbox when the official
has an address. Written in the caller's transaction (flush, never commit). Areas do not call
`notify`: they send `trainer.core.events.tell(...)`, which this module hears."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

import sqlalchemy as sa

from trainer.core import events
from trainer.core.extensions import db
from trainer.core.timeutil import utcnow
from trainer.notices.models import Notification, OutboxEmail
from trainer.people.models import Official


def notify(official: Official, kind: str, title: str, body: str = "", *, link: str = "",
           dedupe_key: str | None = None) -> Notification | None:
    """Tell an official something. With a `dedupe_key`, the same notice is sent only once
    (reminders run every day). Returns None when it was already sent."""
    if dedupe_key and db.session.scalar(sa.select(Notification.id).where(
            Notification.dedupe_key == dedupe_key)):
        return None
    notice = Notification(official_id=official.id, kind=kind, title=title, body=body, link=link,
                          dedupe_key=dedupe_key)
    db.session.add(notice)
    db.session.flush()
    if official.email:
        db.session.add(OutboxEmail(notification_id=notice.id, to_address=official.email,
                                   subject=f"[Bồi dưỡng cán bộ] {title}",
                                   body=f"Kính gửi {official.full_name},\n\n{body}\n"))
    return notice


@events.official_told.connect
def _on_told(_sender, *, official, kind, title, body, link, dedupe_key):
    return notify(official, kind, title, body, link=link, dedupe_key=dedupe_key)


@events.mail_requested.connect
def _on_mail(_sender, *, to_address: str, subject: str, body: str) -> None:
    db.session.add(OutboxEmail(to_address=to_address, subject=subject, body=body))


def unread_count(official_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.official_id == official_id, Notification.read_at.is_(None))) or 0


def mark_read(official_id: int, ids=None) -> None:
    """Mark the official's unread notices read; with `ids`, only those (the ones shown)."""
    where = [Notification.official_id == official_id, Notification.read_at.is_(None)]
    if ids is not None:
        where.append(Notification.id.in_(list(ids)))
    db.session.execute(sa.update(Notification).where(*where).values(read_at=utcnow()))


def send_outbox(config: dict, *, limit: int = 100, max_attempts: int = 10) -> tuple[int, int]:
    """Send pending e-mails through the configured SMTP server; returns (sent, failed). A failure
    is recorded on the row and retried next time; each row is committed on its own so that one
    bad address does not hold back the others."""
    host = config.get("MAIL_SERVER")
    if not host:
        return 0, 0
    pending = db.session.scalars(sa.select(OutboxEmail).where(
        OutboxEmail.sent_at.is_(None), OutboxEmail.attempts < max_attempts)
        .order_by(OutboxEmail.id).limit(limit)).all()
    sent = failed = 0
    for mail in pending:
        message = EmailMessage()
        message["From"] = config.get("MAIL_FROM", "no-reply@localhost")
        message["To"] = mail.to_address
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        mail.attempts += 1
        try:
            with smtplib.SMTP(host, int(config.get("MAIL_PORT", 25)), timeout=10) as smtp:
                if config.get("MAIL_USE_TLS"):
                    smtp.starttls()
                if config.get("MAIL_USERNAME"):
                    smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
                smtp.send_message(message)
            mail.sent_at = utcnow()
            sent += 1
        except (OSError, smtplib.SMTPException) as e:
            mail.last_error = f"{type(e).__name__}: {e}"
            failed += 1
        db.session.commit()
    return sent, failed
