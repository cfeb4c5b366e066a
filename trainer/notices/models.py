from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from trainer.core.extensions import db
from trainer.core.timeutil import utcnow

NOTICE_KINDS = (
    ("approved", "Đăng ký được duyệt"), ("rejected", "Đăng ký không được duyệt"),
    ("enrolled", "Đã ghi danh"), ("waitlisted", "Vào danh sách chờ"),
    ("promoted", "Được chuyển từ danh sách chờ vào lớp"), ("starting", "Lớp sắp khai giảng"),
    ("cancelled", "Lớp bị hủy"), ("result", "Có kết quả học tập"),
    ("certificate", "Có chứng chỉ"), ("expiring", "Chứng chỉ sắp hết hiệu lực"),
    ("invited", "Mời tham gia lớp"),
    ("review", "Đợt đánh giá năng lực"), ("mentoring", "Kèm cặp tại chỗ"),
    ("feedback", "Mời nhận xét khóa học"),
)


class Notification(db.Model):
    """An in-app message to an official; read when `read_at` is set."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(sa.ForeignKey("officials.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)  # sent once
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class OutboxEmail(db.Model):
    """An e-mail waiting to be sent, written in the same transaction as the event: nothing is lost
    when the mail server is down; `trainer mail send` retries until `sent_at` is set."""

    __tablename__ = "outbox_emails"
    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notifications.id"))
    to_address: Mapped[str] = mapped_column(sa.String(200))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
