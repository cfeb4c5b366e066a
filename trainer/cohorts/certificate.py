"""The certificate (chứng chỉ, A4 landscape) and the confirmation of completion that replaces a
lost one (giấy xác nhận, A4 portrait) as PDFs, Vietnamese set in the vendored DejaVu Sans
(fonts/LICENSE): the standard PDF fonts have no Vietnamese glyphs."""
from __future__ import annotations

import unicodedata
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from trainer.cohorts.models import CertificateConfirmation
from trainer.core.display import vndate, vnnum
from trainer.learning.models import Enrollment

FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
PRIMARY = (150, 20, 20)  # the dark red of official Vietnamese documents
INK = (20, 20, 20)


def _nfc(text) -> str:
    """Precomposed characters: DejaVu has them, and fpdf2 does not position combining marks."""
    return unicodedata.normalize("NFC", str(text or ""))


class _Certificate(FPDF):
    def line_of(self, text: str, *, size: float, style: str = "", h: float | None = None,
                color=INK, align: str = "C") -> None:
        self.set_font(FONT, style, size)
        self.set_text_color(*color)
        self.multi_cell(0, h or size * 0.5, _nfc(text), align=align,
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def labelled(self, label: str, value: str, *, size: float = 13) -> None:
        """ "Label: **value**" on one line, centred."""
        label, value = _nfc(label) + " ", _nfc(value)
        self.set_font(FONT, "", size)
        w_label = self.get_string_width(label)
        self.set_font(FONT, "B", size)
        w_value = self.get_string_width(value)
        width = self.w - self.l_margin - self.r_margin
        if w_label + w_value > width:  # too long for one line: wrap the value under the label
            self.line_of(label.strip(), size=size, h=size * 0.55)
            self.line_of(value, size=size, style="B", h=size * 0.55)
            return
        self.set_x(self.l_margin + (width - w_label - w_value) / 2)
        self.set_text_color(*INK)
        self.set_font(FONT, "", size)
        self.cell(w_label, size * 0.55, label)
        self.set_font(FONT, "B", size)
        self.cell(w_value, size * 0.55, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


    def signature(self, issued, x: float, y: float, w: float) -> None:
        self.set_xy(x, y)
        self.set_text_color(*INK)
        self.set_font(FONT, "", 11)
        self.cell(w, 6, _nfc(f"Ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}"),
                  align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_font(FONT, "B", 11)
        self.cell(w, 6, _nfc("THỦ TRƯỞNG CƠ SỞ ĐÀO TẠO"), align="C",
                  new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_font(FONT, "", 9)
        self.cell(w, 5, _nfc("(Ký, ghi rõ họ tên và đóng dấu)"), align="C")

    def verification(self, code: str, verify_url: str, w: float = 120) -> None:
        self.set_font(FONT, "", 10)
        self.cell(w, 6, _nfc(f"Mã xác minh: {code}"), new_x=XPos.LEFT, new_y=YPos.NEXT)
        if verify_url:
            self.cell(w, 6, _nfc("Xác minh tại:"), new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.set_font(FONT, "", 9)
            self.cell(w, 5, verify_url, link=verify_url, new_x=XPos.LEFT, new_y=YPos.NEXT)


def _document(title: str, author: str, orientation: str, compress: bool) -> _Certificate:
    pdf = _Certificate(orientation=orientation, unit="mm", format="A4")
    pdf.compress = compress
    pdf.set_title(_nfc(title))
    pdf.set_author(_nfc(author))
    pdf.set_creator("trainer")
    pdf.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
    pdf.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_auto_page_break(False)
    pdf.set_margins(22, 16, 22)
    pdf.add_page()
    return pdf


def _when(enrollment: Enrollment) -> str:
    cohort = enrollment.cohort
    if cohort is not None:
        return f"từ ngày {vndate(cohort.start_date)} đến ngày {vndate(cohort.end_date)}"
    return f"hoàn thành ngày {vndate(enrollment.completed_on)}"


def certificate_pdf(enrollment: Enrollment, verify_url: str = "", *,
                    compress: bool = True) -> bytes:
    """The certificate of an enrollment that has one. `verify_url` is the public verification page
    (/xac-minh/<code>), printed so that anyone holding the paper can check it."""
    if not enrollment.certificate_no:
        raise ValueError("enrollment has no certificate")
    official, course = enrollment.official, enrollment.course
    provider = course.provider
    pdf = _document(f"Chứng chỉ {enrollment.certificate_no}", provider.name, "landscape",
                    compress)

    # Double frame.
    pdf.set_draw_color(*PRIMARY)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, pdf.w - 16, pdf.h - 16)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, pdf.w - 22, pdf.h - 22)

    pdf.set_y(17)
    pdf.line_of("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=13, style="B")
    pdf.line_of("Độc lập - Tự do - Hạnh phúc", size=12, style="B", h=7)
    pdf.set_draw_color(*INK)
    pdf.line(pdf.w / 2 - 30, pdf.get_y(), pdf.w / 2 + 30, pdf.get_y())
    pdf.ln(5)
    pdf.line_of(provider.name.upper(), size=13, style="B", color=PRIMARY)
    pdf.ln(4)
    pdf.line_of("CHỨNG CHỈ", size=34, style="B", h=16, color=PRIMARY)
    pdf.line_of("Chứng nhận", size=13, h=8)

    title = {"male": "Ông", "female": "Bà"}.get(official.gender, "Ông/Bà")
    pdf.line_of(f"{title} {official.full_name}", size=20, style="B", h=11)
    pdf.ln(1)
    pdf.labelled("Sinh ngày:", vndate(official.birth_date))
    if official.unit is not None:
        pdf.labelled("Đơn vị công tác:", official.unit.name)
    pdf.ln(2)
    pdf.line_of("Đã hoàn thành khóa bồi dưỡng", size=13, h=7)
    pdf.line_of(course.name, size=15, style="B", h=8)
    pdf.ln(1)
    pdf.labelled("Thời lượng:", f"{vnnum(course.hours)} giờ, {_when(enrollment)}", size=12)
    if enrollment.score is not None:
        pdf.labelled("Kết quả:", f"Hoàn thành, điểm {vnnum(enrollment.score, 1)}/10", size=12)

    # Bottom: number and verification on the left, date and signature on the right.
    issued = enrollment.certificate_issued_on
    bottom = pdf.h - 50
    pdf.set_xy(24, bottom)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(120, 6, _nfc(f"Số: {enrollment.certificate_no}"), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.verification(enrollment.certificate_code, verify_url)
    pdf.signature(issued, pdf.w / 2 + 20, bottom, pdf.w / 2 - 44)
    return bytes(pdf.output())


def confirmation_pdf(confirmation: CertificateConfirmation, verify_url: str = "", *,
                     compress: bool = True) -> bytes:
    """The confirmation of completion that replaces a lost certificate: the same facts, the
    certificate's number and date, and its own number and verification code."""
    enrollment = confirmation.enrollment
    official, course = enrollment.official, enrollment.course
    provider = course.provider
    pdf = _document(f"Giấy xác nhận {confirmation.number}", provider.name, "portrait", compress)
    pdf.set_y(18)
    pdf.line_of("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, style="B")
    pdf.line_of("Độc lập - Tự do - Hạnh phúc", size=11, style="B", h=6)
    pdf.line(pdf.w / 2 - 28, pdf.get_y(), pdf.w / 2 + 28, pdf.get_y())
    pdf.ln(6)
    pdf.line_of(provider.name.upper(), size=12, style="B", color=PRIMARY)
    pdf.ln(8)
    pdf.line_of("GIẤY XÁC NHẬN", size=22, style="B", h=11, color=PRIMARY)
    pdf.line_of("HOÀN THÀNH KHÓA BỒI DƯỠNG", size=14, style="B", h=8, color=PRIMARY)
    pdf.line_of(f"Số: {confirmation.number}", size=11, h=7)
    pdf.ln(6)
    title = {"male": "Ông", "female": "Bà"}.get(official.gender, "Ông/Bà")
    lines = [
        f"{provider.name} xác nhận {title.lower()} {official.full_name}, sinh ngày "
        f"{vndate(official.birth_date)}"
        + (f", đơn vị công tác: {official.unit.name}" if official.unit is not None else "") + ",",
        f"đã hoàn thành khóa bồi dưỡng “{course.name}” ({vnnum(course.hours)} giờ, "
        f"{_when(enrollment)})"
        + (f", kết quả: hoàn thành, điểm {vnnum(enrollment.score, 1)}/10"
           if enrollment.score is not None else "") + ",",
        f"và đã được cấp chứng chỉ số {enrollment.certificate_no} ngày "
        f"{vndate(enrollment.certificate_issued_on)}.",
        f"Giấy xác nhận này được cấp thay chứng chỉ nói trên (lý do: {confirmation.reason}); "
        "chứng chỉ chỉ được cấp một lần (Thông tư 01/2018/TT-BNV).",
    ]
    for text in lines:
        pdf.line_of(text, size=12, h=7, align="L")
        pdf.ln(2)
    bottom = pdf.h - 80
    pdf.set_xy(22, bottom + 24)
    pdf.verification(confirmation.code, verify_url, w=90)
    pdf.signature(confirmation.issued_on, pdf.w / 2 + 5, bottom, pdf.w / 2 - 27)
    return bytes(pdf.output())
