"""The report's sections on whether learning retains, the accounts and the lifecycle, in
each of its forms: the JSON objects (`learning_retains`, `accounts`, `lifecycle`; README
"Reports"), the CSV rows, and the terminal tables."""

from __future__ import annotations

from collections.abc import Iterator

from rich.table import Table

from bot.metrics.accounts import AccountsReport
from bot.metrics.learning_retention import TEST, LearningRetention
from bot.metrics.lifecycle import RULES, STAGES, Lifecycle, Stage

CAUTION = (
    "an association, not proof of cause: customers who choose to learn may differ in ways "
    "signup month and plan do not capture (a campaign holdout shows cause)"
)
WEIGHTING = (
    "customers active at the start, by signup month and plan; non-completers weighted to the "
    "completers' mix; completers in a stratum without non-completers left out (unmatched)"
)
_FROM: tuple[Stage, ...] = ("none", *STAGES)


def learning_json(found: LearningRetention) -> dict[str, object]:
    return {
        "courses": list(found.courses) or "any",
        "completers": found.completers,
        "completers_matched": found.matched_completers,
        "completers_unmatched": found.unmatched_completers,
        "non_completers": found.others,
        "non_completers_matched": found.matched_others,
        "strata": len(found.strata),
        "retention_completers": found.completers_retention,
        "retention_non_completers": found.others_retention,
        "churn_completers": found.completers_churn,
        "churn_non_completers": found.others_churn,
        "difference": found.difference,
        "interval_95": list(found.interval) if found.interval else None,
        "p_value": found.p_value,
        "test": TEST,
        "weighting": WEIGHTING,
        "note": CAUTION,
    }


def accounts_json(found: AccountsReport, lifecycle: Lifecycle) -> dict[str, object]:
    return {
        "reached": found.reached,
        "people_reached": found.people_reached,
        "touches": found.touches,
        "touches_per_person": found.touches_per_person,
        "median_people_reached": found.median_people,
        "single_threaded": found.single_threaded,
        "top": [
            {
                "account": each.external_id,
                "name": each.name,
                "people_known": each.people_known,
                "people_reached": each.people_reached,
                "touches": each.touches,
            }
            for each in found.top
        ],
        "by_stage": {each.stage: each.accounts for each in lifecycle.accounts},
    }


def lifecycle_json(found: Lifecycle) -> dict[str, object]:
    return {
        "rules": dict(RULES),
        "at_start": {stage: found.at_start(stage) for stage in STAGES},
        "at_end": {stage: found.at_end(stage) for stage in STAGES},
        "moves": {first: {last: found.moved(first, last) for last in STAGES} for first in _FROM},
    }


def csv_rows(
    learning: LearningRetention, accounts: AccountsReport, lifecycle: Lifecycle
) -> Iterator[tuple[str, object, str]]:
    """(metric, value, formula) rows, after the metrics'."""

    def value(number: float | None) -> object:
        return "" if number is None else number

    yield (
        "learning_retains:difference",
        value(learning.difference),
        f"retention of course completers {_counts(learning)} - of comparable non-completers; "
        f"{_evidence(learning)}; {CAUTION}",
    )
    yield ("learning_retains:retention_completers", value(learning.completers_retention), WEIGHTING)
    yield ("learning_retains:retention_non_completers", value(learning.others_retention), WEIGHTING)
    yield ("accounts:reached", accounts.reached, "accounts with a person the bot wrote with in the period")
    yield ("accounts:median_people", value(accounts.median_people), "median people reached, per account")
    yield ("accounts:single_threaded", accounts.single_threaded, "accounts reached through one person only")
    yield ("accounts:touches_per_person", value(accounts.touches_per_person), "messages in and out / people")
    for stage in STAGES:
        yield (f"accounts:stage:{stage}", _stage_count(lifecycle, stage), "accounts by their furthest stage")
    for stage in STAGES:
        yield (f"lifecycle:at_start:{stage}", lifecycle.at_start(stage), RULES[stage])
        yield (f"lifecycle:at_end:{stage}", lifecycle.at_end(stage), RULES[stage])
    for move in lifecycle.moves:
        if move.at_start != move.at_end:
            yield (f"lifecycle:move:{move.at_start}:{move.at_end}", move.people, "people who moved")


def _stage_count(lifecycle: Lifecycle, stage: Stage) -> int:
    return sum(each.accounts for each in lifecycle.accounts if each.stage == stage)


def _counts(found: LearningRetention) -> str:
    return (
        f"({found.matched_completers} matched of {found.completers}, against {found.matched_others} "
        f"of {found.others} in {len(found.strata)} strata)"
    )


def _evidence(found: LearningRetention) -> str:
    if found.interval is None:
        return "no completer to compare"
    low, high = found.interval
    p = "n/a" if found.p_value is None else f"{found.p_value:.2g}"
    return f"95% CI {low * 100:+.1f} to {high * 100:+.1f} points, p = {p} by the {TEST} test"


def _share(number: float | None) -> str:
    return "n/a" if number is None else f"{number:.1%}"


def learning_table(found: LearningRetention) -> Table:
    courses = ", ".join(found.courses) or "any course"
    table = Table(
        title=f"Does learning retain? Customers who completed {courses} before the period "
        "against comparable customers who did not",
        caption=" ".join(_sentence(each) for each in (_evidence(found), WEIGHTING, CAUTION)),
        show_lines=True,
        expand=True,
    )
    for name in ("", "customers", "matched", "retention", "churn"):
        table.add_column(name)
    table.add_row(
        "completed a course",
        str(found.completers),
        str(found.matched_completers),
        _share(found.completers_retention),
        _share(found.completers_churn),
    )
    table.add_row(
        "did not (weighted)",
        str(found.others),
        str(found.matched_others),
        _share(found.others_retention),
        _share(found.others_churn),
    )
    table.add_row(
        "difference",
        "",
        f"in {len(found.strata)} strata",
        _points(found.difference),
        _points(None if found.difference is None else -found.difference),
    )
    return table


def _sentence(text: str) -> str:
    return f"{text[0].upper()}{text[1:]}."


def _points(difference: float | None) -> str:
    return "n/a" if difference is None else f"{difference * 100:+.1f} points"


def accounts_table(found: AccountsReport, lifecycle: Lifecycle) -> Table:
    per_person = "n/a" if found.touches_per_person is None else f"{found.touches_per_person:.1f}"
    median = "n/a" if found.median_people is None else f"{found.median_people:g}"
    table = Table(
        title=f"Accounts: {found.reached} reached, people reached per account {median} (median), "
        f"{found.single_threaded} through one person only, {per_person} touches per person",
        caption="by furthest stage: "
        + ", ".join(f"{each.stage} {each.accounts}" for each in lifecycle.accounts),
        show_lines=True,
        expand=True,
    )
    for name in ("account", "people known", "people reached", "touches", "per person"):
        table.add_column(name)
    for each in found.top:
        table.add_row(
            f"{each.name} ({each.external_id})" if each.name else each.external_id,
            str(each.people_known),
            str(each.people_reached),
            str(each.touches),
            f"{each.touches / each.people_reached:.1f}",
        )
    return table


def lifecycle_table(found: Lifecycle) -> Table:
    """Rows: the stage at the start; columns: at the end; the diagonal stayed."""
    table = Table(title="Lifecycle: people by stage at the start (rows) and at the end", show_lines=True)
    table.add_column("from \\ to")
    for stage in STAGES:
        table.add_column(stage, justify="right")
    table.add_column("at start", justify="right")
    for first in _FROM:
        total = "" if first == "none" else str(found.at_start(first))
        label = "new (not known)" if first == "none" else first
        table.add_row(label, *(str(found.moved(first, last)) for last in STAGES), total)
    table.add_row("at end", *(str(found.at_end(stage)) for stage in STAGES), "")
    return table
