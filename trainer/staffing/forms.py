"""Forms of staffing: the unit filter of the lists, and a unit's quotas (one box per position,
blank: no quota), read with the import's own rule (operations.parse_approved)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length, ValidationError

from trainer.staffing.operations import parse_approved


class UnitFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter

    unit = SelectField("Đơn vị", coerce=int, default=0)


def _approved(form, field) -> None:
    text = (field.data or "").strip()
    if text:
        try:
            parse_approved(text)
        except ValueError as e:
            raise ValidationError(f"Biên chế {e}.") from None


def quota_form(positions, current: dict[int, int], formdata=None):
    """A unit's quota form: a box `p<position id>` per position, labelled by its name, holding
    the stored number (blank: no quota)."""
    class QuotaForm(FlaskForm):
        pass

    for p in positions:
        setattr(QuotaForm, f"p{p.id}", StringField(
            p.name, validators=[Length(max=5, message="Tối đa 5 ký tự."), _approved],
            default=str(current[p.id]) if p.id in current else "",
            render_kw={"inputmode": "numeric", "autocomplete": "off",
                       "placeholder": "chưa giao", "aria-label": f"Biên chế: {p.name}",
                       "maxlength": 5, "pattern": r"\d*"}))
    return QuotaForm(formdata=formdata) if formdata is not None else QuotaForm()


def quota_values(form, positions) -> dict[int, int | None]:
    """The numbers typed, by position id (None: blank, no quota). Call after validate()."""
    out = {}
    for p in positions:
        text = (getattr(form, f"p{p.id}").data or "").strip()
        out[p.id] = parse_approved(text) if text else None
    return out

