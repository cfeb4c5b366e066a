"""Forms of the degrees area: the term picker of the module grid, the filters of the HR pages,
and parsing of the grid cells (score-<enrollment id>-<module id>, comma decimals)."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import SelectField

from trainer.core.errors import DomainError
from trainer.core.tabular import read_number
from trainer.core.forms_util import options

CELL = re.compile(r"^score-(\d+)-(\d+)$")
WITHIN_CHOICES = ((30, "30 ngày tới"), (60, "60 ngày tới"), (90, "90 ngày tới"),
                  (180, "6 tháng tới"), (365, "12 tháng tới"))


class TermForm(FlaskForm):
    class Meta:
        csrf = False  # a GET picker

    term = SelectField("Học kỳ", coerce=int)


class ExpiringFilterForm(FlaskForm):
    class Meta:
        csrf = False

    within = SelectField("Hết hiệu lực trong", coerce=int, default=60,
                         choices=options(WITHIN_CHOICES))


def parse_score(text: str) -> float | None:
    """ "7,5" or "7.5" → 7.5; blank → None; anything else raises DomainError."""
    try:
        return read_number(text)
    except ValueError:
        raise DomainError(f"Điểm “{(text or '').strip()}” không phải là số.") from None


def parse_module_scores(form) -> dict[tuple[int, int], float]:
    """The filled cells of the grid; blank cells are left as they are. Every unreadable cell is
    reported at once."""
    results, errors = {}, []
    for key, text in form.items():
        match = CELL.match(key)
        if not match:
            continue
        try:
            score = parse_score(text)
        except DomainError as e:
            errors.append(str(e))
            continue
        if score is not None:
            results[(int(match[1]), int(match[2]))] = score
    if errors:
        raise DomainError(" ".join(dict.fromkeys(errors)))
    return results
