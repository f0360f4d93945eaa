"""The rows of the office's list of self-reports (report/office_list.html), written in Python.

At the size of a large university the list has 250 rows of a dozen values and links each; written
by the template they were about 10 ms of the page. :func:`office_rows` gives them as the template
wrote them, character for character (the whitespace included); tests/web/test_report_office_rows.py
compares it with the template it replaced.
"""

from __future__ import annotations

from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from app.timefmt import fmt_dt
from app.web.common import url_maker

_ROW = ('\n  <tr>\n    <td data-label="单位">{name} <small class="muted">{subtype}</small></td>\n'
        '    <td data-label="状态">{state}</td>\n    \n'
        '    <td data-label="填写完整" class="completeness{incomplete}">{done}/{total}</td>\n'
        '    <td data-label="提交时间">{submitted}</td>\n    <td data-label="公示">{published}</td>\n'
        '    <td data-label="操作">\n      {actions}\n    </td>\n  </tr>\n  ')
_ACTIONS = ('\n        <a href="{view}">查看</a>\n        {publish}\n        {ret}\n        {unpublish}\n'
            '        {comment}\n      ')
_TOKEN = '<input type="hidden" name="csrf_token" value="{token}"><input type="hidden" name="version" value="{version}">'
_PUBLISH = ('\n        <form class="inline" method="post" action="{url}">\n          ' + _TOKEN + '\n'
            '          <button class="linkbutton" type="submit">公示</button></form>\n        ')
_RETURN = ('\n        <details class="inline-details"><summary>退回修改</summary>\n'
           '          <form method="post" action="{url}">\n            ' + _TOKEN + '\n'
           '            <textarea name="comment" rows="2" required placeholder="修改意见（单位可见）"'
           ' aria-label="修改意见"></textarea>\n'
           '            <button class="button warn" type="submit">退回</button></form></details>\n        ')
_UNPUBLISH = ('\n        <details class="inline-details"><summary>撤回公示</summary>\n'
              '          <form method="post" action="{url}">\n            ' + _TOKEN + '\n'
              '            <input type="text" name="reason" required placeholder="撤回原因" aria-label="撤回原因">\n'
              '            <button class="button warn" type="submit">撤回</button></form></details>\n        ')


_MARK = 918273645


def _escaped_maker(endpoint: str, cycle_id: int):
    """:func:`~app.web.common.url_maker` with the address escaped (the unit id is digits only)."""
    make = url_maker(endpoint, "unit_id", cycle_id=cycle_id)
    url = make(_MARK)
    if url.count(str(_MARK)) != 1:
        return lambda unit_id: str(escape(make(unit_id)))
    head, _mark, tail = (str(escape(part)) for part in url.partition(str(_MARK)))
    return lambda unit_id: f"{head}{int(unit_id)}{tail}"


def office_rows(cycle_id: int, units, reports: dict, filled: dict) -> Markup:
    """Every unit's row: its report's state (``reports`` by unit id), how complete it is
    (``filled``: unit id → (done, total)), and what the office can do with it."""
    public_url = _escaped_maker("report.public_report", cycle_id)
    view_url = _escaped_maker("report.view", cycle_id)
    publish_url = _escaped_maker("report.publish", cycle_id)
    return_url = _escaped_maker("report.return_report", cycle_id)
    unpublish_url = _escaped_maker("report.unpublish", cycle_id)
    token = escape(generate_csrf())
    esc = {}  # the few statuses and their labels, escaped once

    def once(text):
        hit = esc.get(text)
        if hit is None:
            hit = esc[text] = escape(text)
        return hit

    out = []
    for u in units:
        uid = u.id
        r = reports.get(uid)
        done, total = filled[uid]
        if r:
            status = r.status
            state = f'<span class="state rstate-{once(status)}">{once(r.status_label)}</span>'
            submitted_at, published_at = r.submitted_at, r.published_at
        else:
            state = '<span class="muted">未开始</span>'
            status = submitted_at = published_at = None
        if submitted_at is not None:  # ever submitted
            version = escape(r.version)
            submitted = status == "submitted"
            actions = _ACTIONS.format(
                view=view_url(uid),
                publish=_PUBLISH.format(url=publish_url(uid), token=token, version=version)
                if submitted and not published_at else "",
                ret=_RETURN.format(url=return_url(uid), token=token, version=version) if submitted else "",
                unpublish=_UNPUBLISH.format(url=unpublish_url(uid), token=token, version=version)
                if published_at else "",
                comment=f'<small class="muted">意见：{escape(r.return_comment)}</small>'
                if status == "returned" else "")
        else:
            actions = '<span class="muted">—</span>'
        out.append(_ROW.format(
            name=escape(u.name), subtype=once(u.subtype), state=state,
            incomplete=" incomplete" if done < total else "", done=escape(done), total=escape(total),
            submitted=escape(fmt_dt(submitted_at)) if submitted_at else "—",
            published=f'<a href="{public_url(uid)}">已公示</a>' if published_at else "—",
            actions=actions))
    return Markup("".join(out))
