"""WTForms 3.3 wants SelectChoice objects, not (value, label) tuples."""
from wtforms.fields.choices import SelectChoice


def options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]
