"""The cached ballot page (app/web/vote/pages.py): every voter's spliced page is byte for byte the
page a full render of their ballot gives."""

from dataclasses import replace

import pytest

from app.services import voting
from app.web.vote import pages, routes
from tests.builders import factories as f


@pytest.fixture
def ballot(csrf_app, engine):
    """4 colleges (one with a published self-report) and ONE department: a department voter's
    ballot has no department category at all."""
    from sqlmodel import Session

    voting.forget_context()
    with csrf_app.app_context(), Session(engine, expire_on_commit=False) as s:
        cols = [f.unit(s, f"学院{i}", "college") for i in range(4)]
        dep = f.unit(s, "部门<&>", "department")
        cycle = f.cycle(s, scheme=f.voting_scheme(s))
        voting.create_default_groups(s, actor_id=None, cycle=cycle)
        s.commit()
    routes._page_cache.clear()
    yield csrf_app, engine, cycle, [u.id for u in cols] + [dep.id]
    routes._page_cache.clear()


def _pages(app, ctx, owns):
    """(served page, full render) per own unit, with the same token."""
    out = []
    with app.test_request_context("/v/ballot"):
        from flask_wtf.csrf import generate_csrf

        token = generate_csrf()
        for own in owns:
            served = routes._ballot_page(ctx, own, "/v/ballot").get_data()
            rendered = routes._render_ballot(ctx, own, "/v/ballot", ctx.published_reports, token).encode()
            out.append((own, served, rendered))
    return out


def test_every_voters_page_is_the_full_render_of_their_ballot(ballot):
    app, engine, cycle, ids = ballot
    ctx = voting.ballot_context(engine, cycle.id)
    seen = set()
    for own, served, rendered in _pages(app, ctx, [None, *ids, 999_999]):
        assert served == rendered, own
        seen.add(served)
    assert len(seen) == len(ids) + 1  # each own unit's page differs, the unknown unit's is the full one
    # one spliced page is kept, not one per own unit
    assert [type(v[1]) for v in routes._page_cache.values()] == [pages.BallotPage]
    full = _pages(app, ctx, [None])[0][1].decode()
    own_col = _pages(app, ctx, [ids[0]])[0][1].decode()
    assert f'name="u{ids[0]}"' in full and f'name="u{ids[0]}"' not in own_col
    assert "院部（4 个）" in full and "院部（3 个）" in own_col
    dep_page = _pages(app, ctx, [ids[-1]])[0][1].decode()
    assert "部门（1 个）" in full and "部门" not in dep_page.split('id="ballot"')[1].split("</form>")[0]


def test_ballot_that_keeps_the_own_unit(ballot):
    app, engine, cycle, ids = ballot
    ctx = voting.ballot_context(engine, cycle.id)
    keep = replace(ctx, rules=replace(ctx.rules, policy=replace(ctx.policy, exclude_own_unit=False)))
    got = _pages(app, keep, [None, *ids])
    assert all(served == rendered for _own, served, rendered in got)
    assert len({served for _own, served, _r in got}) == 1


def test_a_template_that_numbers_its_rows_is_rendered_per_own_unit(ballot):
    """Should a row ever depend on its position, splicing would go wrong: build says so."""
    app, engine, cycle, ids = ballot
    ctx = voting.ballot_context(engine, cycle.id)

    def render(own, mark):
        rows = [i for i in ids if i != own]
        return "<p>" + pages.TOKEN_SLOT + "</p>" + mark("c", "x") + "".join(
            mark("r", i) + f"<i>{n}:{i}</i>" for n, i in enumerate(rows)) + mark("f") + mark("z")

    assert pages.build(render, {"x": ids}, lambda i: True) is None
    with app.test_request_context("/v/ballot"):
        assert routes._build_page(ctx, "/v/ballot", ctx.published_reports) is not None
