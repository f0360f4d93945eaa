"""app/web/fields.SelectField renders exactly what WTForms' own select renders."""

from flask_wtf import FlaskForm
from wtforms import SelectField as WTSelectField
from wtforms.validators import DataRequired

from app.web.fields import SelectField

CHOICES = [(0, "（请选择）"), (1, "机电工程学院"), (2, '<b>"引号"</b> & 符号'), (3, ""), (True, "是")]


def _pair(app, **kw):
    class Fast(FlaskForm):
        f = SelectField("单位", **kw)

    class Plain(FlaskForm):
        f = WTSelectField("单位", **kw)

    with app.test_request_context(method="GET"):
        fast, plain = Fast(meta={"csrf": False}), Plain(meta={"csrf": False})
        return fast, plain


def test_same_markup_as_wtforms(app):
    for kw in ({"coerce": int, "choices": CHOICES[:4], "default": 2},
               {"coerce": int, "choices": CHOICES[:4], "validators": [DataRequired()]},
               {"choices": [("a", "甲"), ("b", "乙")], "default": "b"},
               {"choices": [(True, "是"), (False, "否")]},
               {"choices": {"学院": [(1, "甲")], "部门": [(2, "乙")]}, "coerce": int},
               {"choices": [(1, "甲", {"disabled": True}), (2, "乙", {})], "coerce": int}):
        fast, plain = _pair(app, **kw)
        fast.process(None)
        plain.process(None)
        assert str(fast.f()) == str(plain.f()), kw
        assert str(fast.f(class_="wide", data_x="1")) == str(plain.f(class_="wide", data_x="1")), kw


def test_escapes_labels_and_marks_the_selected_option(app):
    fast, _plain = _pair(app, coerce=int, choices=CHOICES[:3], default=2)
    fast.process(None)
    html = str(fast.f())
    assert '<option selected value="2">&lt;b&gt;&#34;引号&#34;&lt;/b&gt; &amp; 符号</option>' in html
    assert html.count("selected") == 1 and html.startswith('<select id="f" name="f">')
