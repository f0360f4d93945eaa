"""Form fields shared by the blueprints' forms.

``SelectField`` renders its options in one pass: WTForms' own widget builds every ``<option>``
through ``html_params`` (sorting and escaping a dict per option), which is most of a page's
time when a select lists the 250 units of a large university (three such selects on the voting
dashboard cost 20 ms). The markup is the same, byte for byte (tests/web/test_fields.py); choices
with groups or per-option attributes go through WTForms' widget as before.
"""

from __future__ import annotations

from markupsafe import Markup, escape
from wtforms import SelectField as _SelectField
from wtforms.widgets import Select, html_params


class FastSelect(Select):
    def __call__(self, field, **kwargs):
        if self.multiple or field.has_groups():
            return super().__call__(field, **kwargs)
        choices = list(field._iter_choices_normalized())
        if any(c.render_kw for c in choices):
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        for c in choices:
            value = str(c.value) if isinstance(c.value, bool) else c.value
            label = escape(c.label or c.value)
            selected = "selected " if c.selected else ""
            html.append(f'<option {selected}value="{escape(value)}">{label}</option>')
        html.append("</select>")
        return Markup("".join(html))


class SelectField(_SelectField):
    widget = FastSelect()
