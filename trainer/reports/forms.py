from flask_wtf import FlaskForm
from wtforms import SelectField

from courses import vocab
from trainer.core.forms_util import options


class ReportFilterForm(FlaskForm):
    """The filters of the gap reports (a GET form): region, position, priority group (KH-11)."""

    class Meta:
        csrf = False

    region = SelectField("Vùng", default="", choices=options(
        [("", "Mọi vùng")] + list(vocab.REGIONS)))
    position = SelectField("Vị trí việc làm", coerce=int, default=0)
    group = SelectField("Nhóm cán bộ", default="")
    view = SelectField("Cột", default="competency", choices=options(
        [("competency", "Theo từng năng lực"), ("group", "Theo nhóm năng lực")]))


def group_choices(young_age: int) -> list[tuple[str, str]]:
    return [("", "Mọi cán bộ"), ("young", f"Cán bộ trẻ (dưới {young_age} tuổi)"),
            ("female", "Nữ"), ("minority", "Người dân tộc thiểu số")]
