from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from courses import vocab
from trainer.core.forms_util import VnDateField, options


class UnitForm(FlaskForm):
    """One unit. The rules are the import's (org.operations.save_unit); the view sets the parent
    choices (codes of the open units the user manages)."""
    code = StringField("Mã đơn vị", validators=[DataRequired("Nhập mã đơn vị."), Length(max=32)])
    name = StringField("Tên đơn vị", validators=[DataRequired("Nhập tên đơn vị."),
                                                 Length(max=200)])
    kind = SelectField("Loại đơn vị", choices=options(vocab.UNIT_KINDS), default="commune")
    region = SelectField("Vùng", choices=options(
        [("", "— không ghi (tỉnh; phòng, ban theo vùng của xã) —")] + list(vocab.REGIONS)))
    parent = SelectField("Đơn vị cấp trên")

    def values(self) -> dict[str, str]:
        return {"code": self.code.data or "", "name": self.name.data or "",
                "kind": self.kind.data or "", "region": self.region.data or "",
                "parent": self.parent.data or ""}


class MergeForm(FlaskForm):
    """Sáp nhập: the target, the date and the decision. `confirmed` is set by the confirmation
    step, which shows what will move before anything is written."""
    target = SelectField("Sáp nhập vào đơn vị", coerce=int)
    merged_on = VnDateField("Ngày sáp nhập (theo quyết định)",
                            validators=[InputRequired("Nhập ngày sáp nhập (dd/mm/yyyy).")])
    decision_no = StringField("Số quyết định", render_kw={"placeholder": "Ví dụ: 1234/QĐ-UBND"},
                              validators=[DataRequired("Nhập số quyết định."), Length(max=80)])
    confirmed = HiddenField()


class DeleteForm(FlaskForm):
    """Only the CSRF token: deleting asks nothing more (the page confirms first)."""


class AwayLimitForm(FlaskForm):
    """The largest share of the unit's officials in class at once; empty: none set here."""
    percent = IntegerField(
        "Tối đa (%) cán bộ của đơn vị đi học cùng lúc",
        render_kw={"placeholder": "Ví dụ: 30", "inputmode": "numeric"},
        validators=[Optional(), NumberRange(1, 100, "Nhập một số từ 1 đến 100 (để trống: không "
                                                   "giới hạn).")])
