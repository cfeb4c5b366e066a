from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional

from courses import vocab
from trainer.core.forms_util import VnDateField, options

LEVELS = [(str(level), f"{level} — {label}") for level, label in vocab.PROFICIENCY]


def _multi(label: str) -> SelectMultipleField:
    # choices are checked by the operation (a unit outside the opener's scope is refused there
    # with its name, not as "not a valid choice")
    return SelectMultipleField(label, validators=[Optional()], validate_choice=False)


class CampaignForm(FlaskForm):
    name = StringField("Tên đợt đánh giá", validators=[
        DataRequired("Nhập tên đợt đánh giá."), Length(max=200, message="Tên tối đa 200 ký tự.")])
    period_start = VnDateField("Ngày bắt đầu", validators=[DataRequired("Nhập ngày bắt đầu.")])
    period_end = VnDateField("Hạn hoàn thành", validators=[DataRequired("Nhập hạn hoàn thành.")])
    unit_ids = SelectMultipleField("Đơn vị (cả các đơn vị trực thuộc)", coerce=int,
                                   validate_choice=False,
                                   validators=[DataRequired("Chọn ít nhất một đơn vị.")])
    position_codes = _multi("Vị trí việc làm (không chọn: mọi vị trí)")
    competency_codes = _multi("Năng lực (không chọn: cả khung năng lực của từng vị trí)")

    def validate_unit_ids(self, field):
        if len(field.data or []) > 500:
            field.errors.append("Chọn tối đa 500 đơn vị.")

    def validate_position_codes(self, field):
        if len(field.data or []) > 200:
            field.errors.append("Chọn tối đa 200 vị trí.")

    def validate_competency_codes(self, field):
        if len(field.data or []) > 200:
            field.errors.append("Chọn tối đa 200 năng lực.")


class SelfForm(FlaskForm):
    """The levels (`level_<competency id>`) are added per review by `self_form`."""

    def levels(self) -> dict[int, int | None]:
        return {int(name.removeprefix("level_")): (int(f.data) if f.data not in (None, "")
                                                   else None)
                for name, f in self._fields.items() if name.startswith("level_")}


def self_form(review, **kwargs) -> SelfForm:
    class Form(SelfForm):
        pass
    for lv in review.levels:
        setattr(Form, f"level_{lv.competency_id}", RadioField(
            lv.competency.name, choices=options(LEVELS), validators=[Optional()],
            default=None if lv.self_level is None else str(lv.self_level)))
    return Form(**kwargs)


class ConfirmForm(FlaskForm):
    """`level_<id>` and `comment_<id>` per competency, added by `confirm_form`."""

    def decisions(self):
        from trainer.reviews.operations import Decision
        out = {}
        for name, f in self._fields.items():
            if name.startswith("level_"):
                cid = int(name.removeprefix("level_"))
                out[cid] = Decision(int(f.data) if f.data not in (None, "") else None,
                                    self._fields[f"comment_{cid}"].data or "")
        return out


def confirm_form(review, **kwargs) -> ConfirmForm:
    class Form(ConfirmForm):
        pass
    for lv in review.levels:
        setattr(Form, f"level_{lv.competency_id}", SelectField(
            "Mức xác nhận", choices=options(LEVELS), validators=[DataRequired("Chọn mức.")],
            default=None if lv.self_level is None else str(lv.self_level)))
        setattr(Form, f"comment_{lv.competency_id}", StringField(
            "Nhận xét (bắt buộc khi đổi mức)", validators=[Length(
                max=1000, message="Nhận xét tối đa 1000 ký tự.")]))
    return Form(**kwargs)


class AssessorForm(FlaskForm):
    official_id = SelectField("Người xác nhận", coerce=int, validate_choice=False)


class LeaderForm(FlaskForm):
    official_id = SelectField("Lãnh đạo đơn vị", coerce=int, validate_choice=False)
