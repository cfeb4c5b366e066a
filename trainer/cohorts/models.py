from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.extensions import db
from trainer.learning.models import Enrollment
from trainer.timeutil import utcnow


class CertificateConfirmation(db.Model):
    """A confirmation of completion (giấy xác nhận hoàn thành khóa học) issued by the school in
    place of a lost certificate: a certificate is issued once (Circular 01/2018/TT-BNV, DOMAIN.md).
    Numbered PROVIDER-XN-YEAR-NNNN, verifiable at /xac-minh/<code> like the certificate."""

    __tablename__ = "certificate_confirmations"
    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollments.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)  # verification
    issued_on: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.String(300))
    issued_by: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    enrollment: Mapped[Enrollment] = relationship()
