"""The certificate (chứng chỉ) as an A4 landscape PDF, Vietnamese set in the vendored DejaVu Sans
(fonts/LICENSE): the standard PDF fonts have no Vietnamese glyphs."""
from __future__ import annotations

import unicodedata
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from trainer.display import vndate, vnnum
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


def certificate_pdf(enrollment: Enrollment, verify_url: str = "", *,
                    compress: bool = True) -> bytes:
    """The certificate of an enrollment that has one. `verify_url` is the public verification page
    (/xac-minh/<code>), printed so that anyone holding the paper can check it."""
    if not enrollment.certificate_no:
        raise ValueError("enrollment has no certificate")
    official, course, cohort = enrollment.official, enrollment.course, enrollment.cohort
    provider = course.provider
    pdf = _Certificate(orientation="landscape", unit="mm", format="A4")
    pdf.compress = compress
    pdf.set_title(_nfc(f"Chứng chỉ {enrollment.certificate_no}"))
    pdf.set_author(_nfc(provider.name))
    pdf.set_creator("trainer")
    pdf.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
    pdf.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_auto_page_break(False)
    pdf.set_margins(22, 16, 22)
    pdf.add_page()

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
    if cohort is not None:
        when = f"từ ngày {vndate(cohort.start_date)} đến ngày {vndate(cohort.end_date)}"
    else:
        when = f"hoàn thành ngày {vndate(enrollment.completed_on)}"
    pdf.labelled("Thời lượng:", f"{vnnum(course.hours)} giờ, {when}", size=12)
    if enrollment.score is not None:
        pdf.labelled("Kết quả:", f"Hoàn thành, điểm {vnnum(enrollment.score, 1)}/10", size=12)

    # Bottom: number and verification on the left, date and signature on the right.
    issued = enrollment.certificate_issued_on
    bottom = pdf.h - 50
    pdf.set_xy(24, bottom)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(120, 6, _nfc(f"Số: {enrollment.certificate_no}"), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    pdf.cell(120, 6, _nfc(f"Mã xác minh: {enrollment.certificate_code}"),
             new_x=XPos.LEFT, new_y=YPos.NEXT)
    if verify_url:
        pdf.cell(120, 6, _nfc("Xác minh tại:"), new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 9)
        pdf.cell(120, 5, verify_url, link=verify_url, new_x=XPos.LEFT, new_y=YPos.NEXT)

    right_x, right_w = pdf.w / 2 + 20, pdf.w / 2 - 44
    pdf.set_xy(right_x, bottom)
    pdf.set_font(FONT, "", 11)
    pdf.cell(right_w, 6, _nfc(f"Ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}"),
             align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(right_w, 6, _nfc("THỦ TRƯỞNG CƠ SỞ ĐÀO TẠO"), align="C",
             new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)
    pdf.cell(right_w, 5, _nfc("(Ký, ghi rõ họ tên và đóng dấu)"), align="C")
    return bytes(pdf.output())
