"""The ballot check: read the ballot form, check it with the cycle's rules
(:func:`app.rubric.rules.check_ballot`, per category of the scheme), and the compact payload a
ballot row stores (``"<unit id>:<level index>,…"``)."""

from __future__ import annotations

from collections.abc import Mapping

from app.rubric import check_ballot

from .context import BallotContext


def check_choices(
    ctx: BallotContext, own_unit_id: int | None, form: Mapping[str, str]
) -> tuple[dict[int, int], list[str]]:
    """Read the ballot form (``u<unit id>`` = level index) and check it with the cycle's rules,
    per category in the scheme's order. Returns (choices, errors)."""
    policy = ctx.policy
    if policy is None:
        return {}, [ctx.unavailable]
    names = policy.level_names
    choices: dict[int, int] = {}
    errors: list[str] = []
    for key, value in form.items():
        if not key.startswith("u") or not key[1:].isdigit():
            continue
        uid = int(key[1:])
        if uid not in ctx.unit_ids:
            errors.append("选票含有不在本次测评范围内的单位")
            continue
        if not value.isdigit() or int(value) >= len(names):
            errors.append("选票含有无效的等次")
            continue
        choices[uid] = int(value)
    own = own_unit_id if policy.exclude_own_unit else None
    for cat, rows in ctx.by_category.items():
        if not rows:
            continue
        ratings = {str(u.id): names[choices[u.id]] for u in rows if u.id in choices}
        unit_names = {str(u.id): u.name for u in rows}
        errs = check_ballot(ratings, [str(u.id) for u in rows], level_values=policy.levels,
                            own_unit=str(own) if own is not None else None,
                            max_excellent_share=policy.max_excellent_share,
                            all_units_required=policy.all_units_required, excellent_level=policy.excellent_level,
                            unit_names=unit_names)
        label = ctx.rules.categories.get(cat, cat)
        errors.extend(f"{label}：{e}" for e in errs)
    return choices, errors


def encode_choices(choices: Mapping[int, int]) -> str:
    return ",".join(f"{u}:{lv}" for u, lv in sorted(choices.items()))


def decode_choices(payload: str) -> list[tuple[int, int]]:
    out = []
    for part in payload.split(","):
        if part:
            u, _, lv = part.partition(":")
            out.append((int(u), int(lv)))
    return out
