"""The rule catalogue in a browser: the office goes from the scheme list to 计分规则与参数, sees
every rule type with its declared parameters (nested keys indented under their parameter), and
from an indicator of a scheme version follows its rule's name to that rule's parameters."""

import pytest

from app.rubric.rules import RULES, param_lines
from tests.builders.browser import serving

pytestmark = pytest.mark.e2e


@pytest.fixture
def office_site(e2e_app):
    from sqlmodel import Session

    from app.extensions import db
    from app.services import schemes
    from tests.builders import factories as f

    with e2e_app.app_context(), Session(db.engine, expire_on_commit=False) as s:
        f.user(s, "office1", roles=["office"])
        scheme = schemes.seed_scheme(s)
        s.commit()
    with serving(e2e_app) as base:
        yield base, scheme


def _sign_in(page, base):
    from tests.builders.factories import PASSWORD

    page.goto(f"{base}/login")
    page.fill("input[name=username]", "office1")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_office_reads_the_parameters_of_every_rule(office_site, browser, viewport, tmp_path):
    base, scheme = office_site
    ctx = browser.new_context(viewport=viewport, locale="zh-CN")
    page = ctx.new_page()
    _sign_in(page, base)
    page.goto(f"{base}/office/schemes/")
    page.get_by_role("link", name="计分规则与参数").click()
    page.wait_for_selector("h1:has-text('计分规则与参数')")
    cards = page.locator("section.rule-card")
    assert cards.count() == len(RULES)
    for name, rule in RULES.items():
        card = page.locator(f"#rule-{name}")
        assert rule.label in card.locator("h2").inner_text()
        shown = [li.inner_text() for li in card.locator("li.param").all()]
        assert shown == [f"{pname} {text}" for _, pname, text in param_lines(rule.parameters)]
    # a nested key (measures → tiers → points) sits to the right of its parameter
    tiers = page.locator("#rule-tiers")
    top = tiers.locator("li.param.depth-0").first.locator("code").bounding_box()
    nested = tiers.locator("li.param.depth-1").first.locator("code").bounding_box()
    assert nested["x"] > top["x"] + 10
    page.screenshot(path=str(tmp_path / f"rules-{viewport['width']}.png"), full_page=False)

    # from an indicator of the scheme version to its rule's parameters
    page.goto(f"{base}/office/schemes/{scheme.id}")
    group = page.locator("details.ind-fold", has=page.locator("summary .ind-code", has_text="BB")).first
    group.locator("summary").first.click()  # groups below the first level are folded
    b07 = group.locator("li.ind.leaf", has=page.locator(".ind-code", has_text="B07"))
    link = b07.locator("p.ind-rule a")
    assert link.inner_text() == "多项扣分"
    link.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / f"indicator-{viewport['width']}.png"))
    link.click()
    page.wait_for_url("**/office/schemes/rules#rule-deduction_items")
    target = page.locator("#rule-deduction_items")
    assert target.is_visible()
    box = target.bounding_box()
    assert -1 < box["y"] < viewport["height"]  # scrolled to the rule (to the pixel: sub-pixel offsets happen)
    assert "max_deduct" in target.inner_text() and "最多扣分" in target.inner_text()
    page.screenshot(path=str(tmp_path / f"rule-from-indicator-{viewport['width']}.png"))
    ctx.close()
