from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from trainer.core.extensions import db
from trainer.core.timeutil import utcnow

# What is recorded (docs/security.md, "Audit log"). Personal-data reads are recorded as well as
# changes (Nghị định 13/2023/NĐ-CP).
ACTIONS = (
    ("login", "Đăng nhập"), ("login_failed", "Đăng nhập sai"), ("logout", "Đăng xuất"),
    ("official_view", "Xem hồ sơ cán bộ"), ("search", "Tìm kiếm cán bộ"),
    ("export", "Xuất dữ liệu"), ("import", "Nhập dữ liệu (xác nhận)"),
    ("assessment", "Ghi kết quả đánh giá"), ("result", "Ghi kết quả học tập"),
    ("approval", "Duyệt đăng ký học"), ("account", "Thay đổi tài khoản"),
    ("password", "Mật khẩu"), ("unit", "Thay đổi đơn vị"), ("token", "Dùng mã truy cập"),
    ("early_start", "Khai giảng lớp sớm"),
    ("mentoring", "Phân công, hủy kèm cặp"),
    ("rating", "Ghi xếp loại"),
    ("review", "Đợt đánh giá năng lực"),
)
SUBJECTS = (("official", "Cán bộ"), ("account", "Tài khoản"), ("unit", "Đơn vị"),
            ("batch", "Lô nhập dữ liệu"), ("enrollment", "Đăng ký học"), ("cohort", "Lớp"),
            ("credential", "Mã truy cập"), ("report", "Báo cáo"),
            ("campaign", "Đợt đánh giá"))


class AuditEvent(db.Model):
    """Who (account, role), when, from which address, did what, to which subject. Rows are only
    ever added (and, after the retention period, deleted by `trainer audit prune`): no code
    updates one. Names are copied (`actor_name`) so that a row reads the same years later."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_subject", "subject_type", "subject_id"),)
    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_name: Mapped[str] = mapped_column(sa.String(120), default="")
    actor_role: Mapped[str] = mapped_column(sa.String(12), default="")
    address: Mapped[str] = mapped_column(sa.String(45), default="")
    action: Mapped[str] = mapped_column(sa.String(20), index=True)  # ACTIONS
    subject_type: Mapped[str] = mapped_column(sa.String(12), default="")  # SUBJECTS
    subject_id: Mapped[int | None] = mapped_column()
    detail: Mapped[str] = mapped_column(sa.String(300), default="")
