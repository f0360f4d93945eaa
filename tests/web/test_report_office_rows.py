"""The rows of the office's self-report list written in Python (app/web/report/office_rows.py) are
the text the template wrote before, for every state of a report: none, draft, submitted, published,
returned (with its comment), and names and comments that need escaping."""

from datetime import UTC, datetime

from app.models.report import SelfReport
from app.web.report.office_rows import office_rows

# the rows of report/office_list.html as the template wrote them before office_rows
OLD = """  {% for u in units %}{% set r = reports.get(u.id) %}
  <tr>
    <td data-label="单位">{{ u.name }} <small class="muted">{{ u.subtype }}</small></td>
    <td data-label="状态">{% if r %}<span class="state rstate-{{ r.status }}">{{ r.status_label }}</span>{% else %}<span class="muted">未开始</span>{% endif %}</td>
    {% set done, total = filled[u.id] %}
    <td data-label="填写完整" class="completeness{{ ' incomplete' if done < total }}">{{ done }}/{{ total }}</td>
    <td data-label="提交时间">{{ r.submitted_at|dt if r and r.submitted_at else '—' }}</td>
    <td data-label="公示">{% if r and r.published_at %}<a href="{{ url_for('report.public_report', cycle_id=cycle.id, unit_id=u.id) }}">已公示</a>{% else %}—{% endif %}</td>
    <td data-label="操作">
      {% if r and r.ever_submitted %}
        <a href="{{ url_for('report.view', cycle_id=cycle.id, unit_id=u.id) }}">查看</a>
        {% if r.status == 'submitted' and not r.published_at %}
        <form class="inline" method="post" action="{{ url_for('report.publish', cycle_id=cycle.id, unit_id=u.id) }}">
          <input type="hidden" name="csrf_token" value="{{ csrf_token() }}"><input type="hidden" name="version" value="{{ r.version }}">
          <button class="linkbutton" type="submit">公示</button></form>
        {% endif %}
        {% if r.status == 'submitted' %}
        <details class="inline-details"><summary>退回修改</summary>
          <form method="post" action="{{ url_for('report.return_report', cycle_id=cycle.id, unit_id=u.id) }}">
            <input type="hidden" name="csrf_token" value="{{ csrf_token() }}"><input type="hidden" name="version" value="{{ r.version }}">
            <textarea name="comment" rows="2" required placeholder="修改意见（单位可见）" aria-label="修改意见"></textarea>
            <button class="button warn" type="submit">退回</button></form></details>
        {% endif %}
        {% if r.published_at %}
        <details class="inline-details"><summary>撤回公示</summary>
          <form method="post" action="{{ url_for('report.unpublish', cycle_id=cycle.id, unit_id=u.id) }}">
            <input type="hidden" name="csrf_token" value="{{ csrf_token() }}"><input type="hidden" name="version" value="{{ r.version }}">
            <input type="text" name="reason" required placeholder="撤回原因" aria-label="撤回原因">
            <button class="button warn" type="submit">撤回</button></form></details>
        {% endif %}
        {% if r.status == 'returned' %}<small class="muted">意见：{{ r.return_comment }}</small>{% endif %}
      {% else %}<span class="muted">—</span>{% endif %}
    </td>
  </tr>
  {% endfor %}
"""  # noqa: E501


class U:
    def __init__(self, id, name, subtype):
        self.id, self.name, self.subtype = id, name, subtype


class C:
    id = 7


def test_office_rows_are_the_old_template_text(app):
    at = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
    units = [U(1, "机电<工程>学院", "教学单位"), U(2, "教务处 & 招生", "职能部门"), U(3, "党委办公室", "党群部门"),
             U(4, "\"图书馆\"", "直属单位"), U(5, "后勤处", "职能部门"), U(6, "财务处", "职能部门"),
             U(7, "校医院", "直属单位")]
    reports = {
        2: SelfReport(id=12, cycle_id=7, unit_id=2, status="draft", version=3),
        3: SelfReport(id=13, cycle_id=7, unit_id=3, status="submitted", submitted_at=at, version=4),
        4: SelfReport(id=14, cycle_id=7, unit_id=4, status="submitted", submitted_at=at, published_at=at, version=5),
        5: SelfReport(id=15, cycle_id=7, unit_id=5, status="returned", submitted_at=at, version=6,
                      return_comment="请补充<佐证>材料 & 说明", returned_at=at),
        6: SelfReport(id=16, cycle_id=7, unit_id=6, status="returned", submitted_at=at, published_at=at, version=2,
                      return_comment=None),
        7: SelfReport(id=17, cycle_id=7, unit_id=7, status="odd<status>", submitted_at=at, version=1),
    }
    filled = {1: (0, 12), 2: (3, 12), 3: (12, 12), 4: (12, 12), 5: (5, 10), 6: (0, 0), 7: (1, 2)}
    with app.test_request_context():
        want = app.jinja_env.from_string(OLD).render(units=units, reports=reports, filled=filled, cycle=C())
        got = office_rows(C.id, units, reports, filled)
    assert "  " + got == want
    assert "请补充&lt;佐证&gt;材料 &amp; 说明" in got and got.count('name="csrf_token"') == 5
