"""The target form: plain fields that `to_data` turns into the JSON of docs/targets.md (and
`from_target` back), so the operations validate one shape whatever the source."""
from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import (IntegerField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import NumberInput

from courses import vocab
from trainer.core.forms_util import VnDateField, options
from trainer.targets.criteria import CRITERION_KINDS

YES_NO = [("", "Không lọc"), ("yes", "Có"), ("no", "Không")]


def qualification_options(with_blank: str | None = None):
    """One select for kind and level: "education:dai_hoc" reads "Trình độ chuyên môn: Đại học"."""
    pairs = [("", with_blank)] if with_blank else []
    for kind, scale in vocab.QUALIFICATION_SCALES.items():
        for code, label in scale[1:]:
            pairs.append((f"{kind}:{code}", f"{vocab.QUALIFICATION_LABELS[kind]}: {label}"))
    return options(pairs)


def _multi(label: str, choices=()) -> SelectMultipleField:
    return SelectMultipleField(label, choices=options(choices), validators=[Optional()],
                               validate_choice=False)


class TargetForm(FlaskForm):
    code = StringField("Mã mục tiêu", validators=[DataRequired("Nhập mã mục tiêu."), Length(
        max=32, message="Mã mục tiêu tối đa 32 ký tự.")])
    title = StringField("Tên mục tiêu", validators=[DataRequired("Nhập tên mục tiêu."), Length(
        max=300, message="Tên mục tiêu tối đa 300 ký tự.")])
    source = StringField("Nguồn (mã yêu cầu, văn bản)", validators=[Length(
        max=60, message="Nguồn tối đa 60 ký tự.")])
    note = TextAreaField("Ghi chú", validators=[Optional()])
    threshold = StringField("Chỉ tiêu (%)", validators=[DataRequired("Nhập chỉ tiêu (%).")])
    deadline = VnDateField("Hạn hoàn thành",
                           validators=[DataRequired("Nhập hạn hoàn thành (ngày).")])

    # Population (đối tượng)
    unit_id = SelectField("Đơn vị (cả các đơn vị trực thuộc)", coerce=str, validate_choice=False)
    position_groups = _multi("Nhóm vị trí", vocab.POSITION_GROUPS)
    position_codes = _multi("Vị trí việc làm")
    has_position = SelectField("Đã có vị trí việc làm", choices=options(YES_NO))
    regions = _multi("Vùng", vocab.REGIONS)
    gender = SelectField("Giới tính", choices=options([("", "Không lọc")] + list(vocab.GENDERS)))
    minority = SelectField("Người dân tộc thiểu số", choices=options(YES_NO))
    young = SelectField("Cán bộ trẻ", choices=options(YES_NO))
    qual_op = SelectField("Điều kiện trình độ", choices=options(
        [("", "Không lọc"), ("at_least", "Từ mức … trở lên"), ("below", "Dưới mức …")]))
    qual_value = SelectField("Trình độ", choices=qualification_options("—"))
    field_mismatch = SelectField("Chuyên ngành đào tạo không phù hợp vị trí",
                                 choices=options(YES_NO), default="")

    # Criterion (tiêu chí)
    kind = SelectField("Loại tiêu chí", choices=options(CRITERION_KINDS))
    categories = _multi("Nhóm khóa học", vocab.COURSE_CATEGORIES)
    match = SelectField("Cần", choices=options([("all", "Đủ mọi nhóm đã chọn"),
                                                 ("any", "Ít nhất một nhóm")]))
    course_codes = _multi("Hoặc một trong các khóa học")
    competency_codes = _multi("Năng lực")
    level = IntegerField("Mức năng lực tối thiểu", default=2, widget=NumberInput(min=1, max=4),
                         validators=[Optional(), NumberRange(1, 4, "Mức năng lực từ 1 đến 4.")])
    qualification = SelectField("Trình độ tối thiểu", choices=qualification_options("—"))
    rating = SelectField("Xếp loại tối thiểu", choices=options(vocab.RATINGS[1:]))
    rating_period = SelectField("Theo kỳ xếp loại", choices=options(vocab.RATING_PERIODS),
                                default="year")  # LC-4 reads the period set on the target
    gap_groups = _multi("Chỉ xét nhóm năng lực", vocab.COMPETENCY_GROUPS)
    gap_domains = _multi("Chỉ xét lĩnh vực", vocab.COMPETENCY_DOMAINS)
    count = IntegerField("Số người tối thiểu mỗi đơn vị", widget=NumberInput(min=1),
                         validators=[Optional(), NumberRange(1, 1000, "Số người từ 1 đến 1000.")])
    unit_name_contains = StringField("Tên đơn vị chứa (để trống: mỗi xã, phường)")
    field_contains = StringField("Ngành đào tạo chứa (phân cách bằng dấu phẩy)")
    since = VnDateField("Đánh giá từ ngày", validators=[Optional()])
    plan_year = IntegerField("Năm kế hoạch (để trống: năm đang diễn ra)",
                             widget=NumberInput(min=2000, max=2100), validators=[
                                 Optional(), NumberRange(2000, 2100, "Năm từ 2000 đến 2100.")])
    composition_groups = _multi("Nhóm vị trí xét cơ cấu", vocab.POSITION_GROUPS)
    composition_needs = _multi("Mỗi xã cần có", [("female", "Ít nhất một nữ"),
                                                 ("minority", "Ít nhất một người dân tộc "
                                                              "thiểu số")])

    def validate_threshold(self, field):
        try:
            value = float((field.data or "").replace(",", "."))
        except ValueError:
            raise ValidationError("Chỉ tiêu phải là một số, ví dụ 80 hoặc 95,5.")
        if not 0 < value <= 100:
            raise ValidationError("Chỉ tiêu phải lớn hơn 0 và không quá 100 (%).")

    def validate_kind(self, field):
        k = field.data
        if k == "course" and not (self.categories.data or self.course_codes.data):
            raise ValidationError("Chọn nhóm khóa học hoặc các khóa học.")
        if k == "course" and self.categories.data and self.course_codes.data:
            raise ValidationError("Chọn nhóm khóa học hoặc các khóa học, không chọn cả hai.")
        if k == "competency" and not self.competency_codes.data:
            raise ValidationError("Chọn ít nhất một năng lực.")
        if k == "competency" and not self.level.data:
            raise ValidationError("Nhập mức năng lực tối thiểu.")
        if k == "qualification" and not self.qualification.data:
            raise ValidationError("Chọn trình độ tối thiểu.")
        if k == "unit_headcount" and not self.count.data:
            raise ValidationError("Nhập số người tối thiểu mỗi đơn vị.")
        if k == "reviewed" and not self.since.data:
            raise ValidationError("Nhập ngày bắt đầu kỳ đánh giá.")
        if k == "unit_composition" and not self.composition_groups.data:
            raise ValidationError("Chọn nhóm vị trí xét cơ cấu.")
        if k == "unit_composition" and not self.composition_needs.data:
            raise ValidationError("Chọn điều mỗi xã cần có (nữ, người dân tộc thiểu số).")

    def validate_qual_value(self, field):
        if self.qual_op.data and not field.data:
            raise ValidationError("Chọn trình độ cho điều kiện.")

    # ------------------------------------------------------------------ form <-> JSON
    def to_data(self) -> dict:
        pop: dict = {}
        if self.unit_id.data:
            pop["unit_id"] = int(self.unit_id.data)
        for key in ("position_groups", "position_codes", "regions"):
            if getattr(self, key).data:
                pop[key] = list(getattr(self, key).data)
        for key in ("has_position", "minority", "young", "field_mismatch"):
            if getattr(self, key).data:
                pop[key] = getattr(self, key).data == "yes"
        if self.gender.data:
            pop["gender"] = self.gender.data
        if self.qual_op.data and self.qual_value.data:
            kind, level = self.qual_value.data.split(":")
            pop["qualification"] = {"kind": kind, self.qual_op.data: level}
        k = self.kind.data
        crit: dict = {"kind": k}
        if k == "course":
            if self.categories.data:
                crit.update(categories=list(self.categories.data), match=self.match.data)
            else:
                crit["course_codes"] = list(self.course_codes.data)
        elif k == "competency":
            crit.update(codes=list(self.competency_codes.data), level=int(self.level.data))
        elif k == "qualification":
            kind, level = self.qualification.data.split(":")
            crit.update(qualification=kind, level=level)
        elif k == "rating":
            crit["level"] = self.rating.data
            if self.rating_period.data != "year":  # annual: the criterion as it always was
                crit["period"] = self.rating_period.data
        elif k == "no_gap":
            if self.gap_groups.data:
                crit["groups"] = list(self.gap_groups.data)
            if self.gap_domains.data:
                crit["domains"] = list(self.gap_domains.data)
        elif k == "unit_headcount":
            crit["count"] = int(self.count.data)
            if self.qualification.data:
                kind, level = self.qualification.data.split(":")
                crit.update(qualification=kind, level=level)
            if self.unit_name_contains.data.strip():
                crit["unit_name_contains"] = self.unit_name_contains.data.strip()
            words = [w.strip() for w in (self.field_contains.data or "").split(",") if w.strip()]
            if words:
                crit["field_contains"] = words
        elif k == "reviewed":
            crit["since"] = self.since.data.isoformat()
        elif k == "unit_plan":
            if self.plan_year.data:
                crit["year"] = int(self.plan_year.data)
        elif k == "unit_composition":
            crit["position_groups"] = list(self.composition_groups.data)
            crit.update({need: True for need in ("female", "minority")
                         if need in self.composition_needs.data})
        return {"code": self.code.data.strip(), "title": self.title.data.strip(),
                "source": (self.source.data or "").strip(), "note": self.note.data or "",
                "threshold": float(self.threshold.data.replace(",", ".")),
                "deadline": self.deadline.data, "population": pop, "criterion": crit}

    def fill_from(self, target) -> None:
        self.code.data, self.title.data = target.code, target.title
        self.source.data, self.note.data = target.source, target.note
        self.threshold.data = f"{target.threshold:g}".replace(".", ",")
        self.deadline.data = target.deadline
        pop, crit = target.population or {}, target.criterion or {}
        self.unit_id.data = str(pop.get("unit_id") or "")
        self.position_groups.data = pop.get("position_groups") or []
        self.position_codes.data = pop.get("position_codes") or []
        self.regions.data = pop.get("regions") or []
        for key in ("has_position", "minority", "young", "field_mismatch"):
            getattr(self, key).data = "" if key not in pop else ("yes" if pop[key] else "no")
        self.gender.data = pop.get("gender") or ""
        q = pop.get("qualification")
        if q:
            op = "at_least" if "at_least" in q else "below"
            self.qual_op.data, self.qual_value.data = op, f"{q['kind']}:{q[op]}"
        self.kind.data = crit.get("kind")
        self.categories.data = crit.get("categories") or []
        self.match.data = crit.get("match", "all")
        self.course_codes.data = crit.get("course_codes") or []
        self.competency_codes.data = crit.get("codes") or []
        if crit.get("kind") == "competency":
            self.level.data = crit.get("level")
        if crit.get("qualification"):
            self.qualification.data = f"{crit['qualification']}:{crit['level']}"
        if crit.get("kind") == "rating":
            self.rating.data = crit.get("level")
            self.rating_period.data = crit.get("period", "year")
        self.gap_groups.data = crit.get("groups") or []
        self.gap_domains.data = crit.get("domains") or []
        self.count.data = crit.get("count")
        self.unit_name_contains.data = crit.get("unit_name_contains", "")
        self.field_contains.data = ", ".join(crit.get("field_contains") or [])
        if crit.get("kind") == "reviewed" and crit.get("since"):
            self.since.data = date.fromisoformat(crit["since"])
        self.plan_year.data = crit.get("year") if crit.get("kind") == "unit_plan" else None
        if crit.get("kind") == "unit_composition":
            self.composition_groups.data = crit.get("position_groups") or []
            self.composition_needs.data = [k for k in ("female", "minority") if crit.get(k)]
