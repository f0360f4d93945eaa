"""Democratic rating (民主测评): the rules, the ballot, the roll and codes, the count.

One package, one module per reason to change; every name is importable from here:

- :mod:`.context` — the cycle's rules (:func:`cycle_policy`: the scheme's ``BallotPolicy`` with
  the cycle's 优秀 share, rater groups and weights; :func:`cycle_rules` adds the scheme's
  categories and points) and the ballot context cached per worker (:func:`ballot_context`);
- :mod:`.ballot` — the ballot check (:func:`check_choices`) and the stored payload;
- :mod:`.cast` — the hot path: one statement writes the roll flip, the ballot and the receipt
  (:func:`cast_ballot`), and the voter look-ups of the ballot pages;
- :mod:`.guard` — wrong codes counted per address, and the office lifting the locks;
- :mod:`.codes` — drawing and showing vote and receipt codes;
- :mod:`.roll` — rater groups, voter accounts, code batches, voiding a code;
- :mod:`.count` — turnout, ballot counts, the tally (the engine's democratic component under
  :func:`cycle_policy`, as in the results), publication and sealing the box.

What the results read (tested in tests/services/test_voting.py):

- :func:`ballot_counts` ``(db, cycle) -> {unit_id: {group_key: {level: count}}}`` — every unit of
  the cycle, every rater group of the cycle, every level of the policy (zeros included);
- :func:`rater_group_weights` ``(db, cycle) -> {group_key: Decimal}`` — only groups that have a
  weight; empty means "mean over all ballots";
- :func:`turnout` ``(db, cycle) -> list[GroupTurnout]`` — roll size and ballots cast per group;
- :func:`cycle_policy` ``(db, cycle) -> BallotPolicy`` — the policy the engine scores with.

A cycle without a usable scheme (none assigned, or an invalid snapshot) has no rules: its
ballot context says so and refuses every ballot, and the office's pages say so.
"""

from decimal import Decimal  # noqa: F401  (callers write voting.Decimal)

from .ballot import check_choices, decode_choices, encode_choices
from .cast import AlreadyVoted, Voter, cast_ballot, pg_prefill, voter_by_code, voter_by_id, voter_for_user
from .codes import CODE_ALPHABET, CODE_LEN, RECEIPT_LEN, new_code, normalise_code, pretty_code
from .context import (
    CONTEXT_TTL,
    KIND,
    MIN_GROUP,
    BallotContext,
    CycleRules,
    UnitRow,
    ballot_context,
    check_setup_stamp,
    cycle_policy,
    cycle_rules,
    cycle_units,
    forget_context,
    groups_of,
    has_ballots,
    scheme_policy,
    set_excellent_share,
    setup_stamp,
    stage_is_open,
    state,
)
from .count import (
    GroupTurnout,
    Tally,
    TallyInconsistent,
    UnitTally,
    ballot_counts,
    publish,
    rater_group_weights,
    receipts,
    seal_box,
    tally,
    turnout,
)
from .guard import (
    CODE_GUARD_PREFIX,
    LOCKS_TTL,
    code_guard_key,
    code_locked_until,
    forget_code_locks,
    lift_code_locks,
    locked_addresses,
    record_wrong_code,
)
from .roll import (
    DEFAULT_GROUPS,
    MAX_CODES_PER_BATCH,
    account_entries,
    add_accounts,
    batch_label,
    batches,
    codes_of_batch,
    create_default_groups,
    issue_codes,
    issue_codes_for_groups,
    pending_account_voters,
    remove_entry,
    save_group,
    void_and_replace,
)

__all__ = [
    "CODE_ALPHABET", "CODE_GUARD_PREFIX", "CODE_LEN", "CONTEXT_TTL", "DEFAULT_GROUPS", "KIND", "LOCKS_TTL",
    "MAX_CODES_PER_BATCH", "MIN_GROUP", "RECEIPT_LEN",
    "AlreadyVoted", "BallotContext", "CycleRules", "GroupTurnout", "Tally", "TallyInconsistent", "UnitRow",
    "UnitTally", "Voter",
    "account_entries", "add_accounts", "ballot_context", "ballot_counts", "batches", "cast_ballot",
    "check_choices", "check_setup_stamp", "code_guard_key", "code_locked_until", "codes_of_batch",
    "create_default_groups",
    "cycle_policy", "cycle_rules", "cycle_units", "decode_choices", "encode_choices", "forget_code_locks",
    "forget_context", "groups_of", "has_ballots", "issue_codes", "issue_codes_for_groups", "batch_label",
    "lift_code_locks", "locked_addresses",
    "new_code", "normalise_code", "pending_account_voters", "pg_prefill", "pretty_code", "publish",
    "rater_group_weights", "receipts", "record_wrong_code", "remove_entry", "save_group", "scheme_policy",
    "seal_box", "set_excellent_share", "setup_stamp", "stage_is_open", "state", "tally", "turnout", "void_and_replace",
    "voter_by_code", "voter_by_id", "voter_for_user",
]
