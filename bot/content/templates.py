"""Personalised text: `{{ learner.first_name }}` and `{{ answers.NAME }}` in content.

Content is written by authors but rendered for every learner on the engine's hot path, so:
templates run in Jinja's sandbox (content can never reach Python internals), compiled
templates are cached by source, text without placeholders never touches Jinja, and what a
learner typed only ever arrives as a *value* (it is printed, never compiled). Rendering never
raises: a broken placeholder must not stop a lesson, so it is logged and left out.

`placeholders` is the validation side: it walks Jinja's parse tree (not a regex) to find
what a template refers to, so `lessonloop validate` can reject unknown names before release.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from functools import lru_cache

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError, nodes

from bot.content.template_limits import BudgetedSandbox, TooCostly, render_capped

log = logging.getLogger(__name__)

LEARNER_FIELDS = ("first_name", "name", "locale", "platform", "attributes")
"""What `learner.X` may name; `learner.attributes.ANYTHING` is any learner attribute."""

ALLOWED_HINT = (
    "learner.first_name, learner.name, learner.locale, learner.platform, "
    "learner.attributes.NAME or answers.NAME"
)
_ALLOWED_STATEMENTS = (nodes.Output, nodes.If, nodes.For)
_STATEMENT_NAMES = {"Assign": "set", "AssignBlock": "set", "ExprStmt": "do", "FromImport": "import"}
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


@dataclass(frozen=True)
class LearnerView:
    """What templates may know about a learner (and nothing else: no ids, no e-mail)."""

    first_name: str
    name: str
    locale: str
    platform: str
    attributes: Mapping[str, str]


@dataclass(frozen=True)
class Reference:
    """A valid-looking use of `learner.FIELD` or `answers.NAME` (`name` is "" when dynamic)."""

    root: str
    name: str
    lineno: int


@dataclass(frozen=True)
class SnippetUse:
    """`{{ snippet("name") }}`: a shared text put in at load time (see snippets.py)."""

    name: str
    lineno: int


@dataclass(frozen=True)
class UnguardedAnswer:
    """`answers.NAME` used without a `default` or an `if` that tests it: fine where every
    path to the text stores the answer, an empty gap for the learner where one does not."""

    name: str
    lineno: int


@dataclass(frozen=True)
class TemplateProblem:
    """Something in a template that `validate` must reject; `lineno` is 1-based within the text."""

    message: str
    lineno: int


_ENV = BudgetedSandbox(autoescape=False, undefined=ChainableUndefined, keep_trailing_newline=True)
SAMPLE_LEARNER = LearnerView("Ann", "Ann Lee", "en", "telegram", {})
SAMPLE_ANSWER = "x" * 4000
"""What `validate` renders each template with: an answer as long as a Telegram message."""


def has_template(source: str) -> bool:
    """Whether a text has placeholders or statements at all (most texts do not)."""
    return "{{" in source or "{%" in source


@lru_cache(maxsize=4096)
def _compiled(source: str) -> Template | None:
    try:
        return _ENV.compile_budgeted(source)
    except Exception as exc:  # a template that slipped past validation must not crash a lesson
        log.warning("content template does not compile (%s): %r", exc, source[:120])
        return None


def render_text(source: str, learner: LearnerView, answers: Mapping[str, str]) -> str:
    """`source` with its placeholders filled in; undefined values render as ""; never raises."""
    if not has_template(source):
        return source
    template = _compiled(source)
    if template is not None:
        try:
            return render_capped(template, {"learner": _known(learner), "answers": answers})
        except TooCostly as exc:  # content that would hang or bloat the bot: its plain text instead
            log.error("content template exceeded its budget (%s): %r", exc, source[:120])
        except Exception as exc:  # e.g. a sandbox SecurityError: leave the placeholders out
            log.warning("content template failed to render (%s): %r", exc, source[:120])
    return _TAG.sub("", source)


def _known(learner: LearnerView) -> dict[str, object]:
    """The learner's fields with the empty ones left out: a name the platform did not give
    is then undefined, so `default("there")` applies, and alone it still renders as ""."""
    return {field.name: value for field in fields(learner) if (value := getattr(learner, field.name)) != ""}


@lru_cache(maxsize=4096)
def placeholders(source: str) -> tuple[TemplateProblem | Reference | SnippetUse | UnguardedAnswer, ...]:
    """What `source` refers to, and what is wrong with it, without rendering it."""
    if not has_template(source) and "{#" not in source:
        return ()
    try:
        tree = _ENV.parse(source)
    except TemplateSyntaxError as exc:
        hint = " (placeholders look like {{ learner.first_name }})"
        return (TemplateProblem(f"template syntax error: {exc.message}{hint}", exc.lineno or 1),)
    # names a template sets itself (loop variables; `set` is reported on its own) are not roots
    loop_names = {"loop"} | {name.name for name in tree.find_all(nodes.Name) if name.ctx == "store"}
    found = (
        tuple(_statement_problems(tree))
        + tuple(_snippet_uses(tree))
        + tuple(_walk(tree, frozenset(loop_names)))
        + tuple(_unhandled_absences(tree, frozenset()))
    )
    if any(isinstance(item, TemplateProblem) for item in found):
        return found
    return found + tuple(_sample_render_problems(source))


class _AnyAnswer(dict[str, str]):
    """Every answer name holds the longest answer a learner could give."""

    def __missing__(self, key: str) -> str:
        return SAMPLE_ANSWER


def _sample_render_problems(source: str) -> Iterator[TemplateProblem]:
    """Render once with a sample learner and long answers: what would exceed a budget then
    would at run time too, so authors hear it from `validate`."""
    try:
        template = _ENV.compile_budgeted(source)
        render_capped(template, {"learner": _known(SAMPLE_LEARNER), "answers": _AnyAnswer()})
    except TooCostly as exc:
        message = (
            f"this template does too much work for one message ({exc}); keep texts short and loops small"
        )
        yield TemplateProblem(message, 1)
    except Exception:  # noqa: S110 - an error that depends on values is the render's own fallback
        pass


def _statement_problems(tree: nodes.Template) -> Iterator[TemplateProblem]:
    for statement in tree.find_all(nodes.Stmt):
        if not isinstance(statement, _ALLOWED_STATEMENTS):
            kind = type(statement).__name__
            name = _STATEMENT_NAMES.get(kind, kind.lower())
            message = f"'{{% {name} %}}' is not allowed in content; only {{% if %}} and {{% for %}} are"
            yield TemplateProblem(message, statement.lineno)


def _is_snippet_call(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name == "snippet"


def _snippet_uses(tree: nodes.Template) -> Iterator[TemplateProblem | SnippetUse]:
    """Each `{{ snippet("name") }}`; a snippet inside an expression cannot be put in as text."""
    alone = {
        id(child)
        for output in tree.find_all(nodes.Output)
        for child in output.nodes
        if _is_snippet_call(child)
    }
    for call in tree.find_all(nodes.Call):
        if not _is_snippet_call(call):
            continue
        [name] = call.args if len(call.args) == 1 and not call.kwargs else [None]
        if id(call) in alone and isinstance(name, nodes.Const) and isinstance(name.value, str):
            yield SnippetUse(name.value, call.lineno)
        else:
            message = 'a snippet stands on its own, with its name in quotes: {{ snippet("support_hours") }}'
            yield TemplateProblem(message, call.lineno)


def _walk(node: nodes.Node, loop_names: frozenset[str]) -> Iterator[TemplateProblem | Reference]:
    if _is_snippet_call(node):
        return
    if (
        isinstance(node, (nodes.Getattr, nodes.Getitem, nodes.Name))
        and getattr(node, "ctx", "load") == "load"
    ):
        base, attrs, rest = _unwind(node)
        yield from _check_chain(base, attrs, node.lineno, loop_names)
        for child in rest:
            yield from _walk(child, loop_names)
        return
    if isinstance(node, nodes.Filter) and node.name not in _ENV.filters:
        yield TemplateProblem(f"unknown filter '{node.name}'", node.lineno)
    if isinstance(node, nodes.Test) and node.name not in _ENV.tests:
        yield TemplateProblem(f"unknown test '{node.name}'", node.lineno)
    for child in node.iter_child_nodes():
        yield from _walk(child, loop_names)


def _unwind(node: nodes.Node) -> tuple[nodes.Node, list[str | None], list[nodes.Node]]:
    """`learner.attributes['plan']` -> (Name learner, ['attributes', 'plan'], [non-constant keys])."""
    attrs: list[str | None] = []
    rest: list[nodes.Node] = []
    while True:
        if isinstance(node, nodes.Getattr):
            attrs.append(node.attr)
            node = node.node
        elif isinstance(node, nodes.Getitem):
            key = node.arg
            constant = isinstance(key, nodes.Const) and isinstance(key.value, str)
            attrs.append(key.value if isinstance(key, nodes.Const) and constant else None)
            if not constant:
                rest.append(key)
            node = node.node
        else:
            break
    attrs.reverse()
    if not isinstance(node, nodes.Name):
        rest.append(node)
    return node, attrs, rest


def _check_chain(
    base: nodes.Node, attrs: list[str | None], lineno: int, loop_names: frozenset[str]
) -> Iterator[TemplateProblem | Reference]:
    for attr in attrs:
        if attr is not None and attr.startswith("_"):
            yield TemplateProblem(f"'{attr}' is not allowed: names starting with _ are off limits", lineno)
            return
    if not isinstance(base, nodes.Name) or base.name in loop_names:
        return
    first = attrs[0] if attrs else None
    dotted = base.name + (f".{first}" if first else "")
    if base.name == "learner":
        if not attrs:
            yield TemplateProblem(f"use one of the learner's fields: {ALLOWED_HINT}", lineno)
        elif first is not None and first not in LEARNER_FIELDS:
            yield TemplateProblem(f"'{dotted}' does not exist; use {ALLOWED_HINT}", lineno)
        else:
            yield Reference("learner", first or "", lineno)
    elif base.name == "answers":
        if not attrs:
            yield TemplateProblem("name the answer: answers.NAME, where a step has `store_as: NAME`", lineno)
        else:
            yield Reference("answers", first or "", lineno)
    else:
        yield TemplateProblem(f"unknown placeholder '{dotted}'; templates can use {ALLOWED_HINT}", lineno)


_DEFAULT_FILTERS = frozenset({"default", "d"})
_MAPPING_METHODS = ("items", "keys", "values", "get")
"""`learner.attributes.items()` and the like look at every attribute, not at one that may be missing."""


def _unhandled_absences(
    node: nodes.Node, handled: frozenset[str]
) -> Iterator[TemplateProblem | UnguardedAnswer]:
    """Uses of a learner field that some learners lack (a platform that gives no name, an
    attribute a learner does not have), outside a `default` or an `if` that tests it: the
    text would read "Thank you, !" for them."""
    if isinstance(node, nodes.Filter) and node.name in _DEFAULT_FILTERS:
        yield from _absences_in((*node.args, *node.kwargs), handled)
        return
    if isinstance(node, nodes.Test):
        return  # `learner.first_name is defined` handles it
    if isinstance(node, (nodes.If, nodes.CondExpr)):
        tested = handled | _fields_in(node.test)
        body = node.body if isinstance(node, nodes.If) else [node.expr1]
        rest = [*node.elif_, *node.else_] if isinstance(node, nodes.If) else [node.expr2]
        yield from _absences_in(body, tested)
        yield from _absences_in([item for item in rest if item is not None], handled)
        return
    if isinstance(node, (nodes.Or, nodes.And)):
        # `learner.first_name or "there"`; `learner.first_name and ", " ~ learner.first_name`
        yield from _unhandled_absences(node.right, handled | _fields_in(node.left))
        return
    field = _learner_field(node)
    if field is not None:
        if field in handled:
            pass
        elif field.startswith("answers."):
            yield UnguardedAnswer(field.removeprefix("answers."), node.lineno)
        else:
            yield TemplateProblem(_absence_message(field), node.lineno)
        return
    yield from _absences_in(node.iter_child_nodes(), handled)


def _absences_in(
    children: Iterable[nodes.Node], handled: frozenset[str]
) -> Iterator[TemplateProblem | UnguardedAnswer]:
    for child in children:
        yield from _unhandled_absences(child, handled)


def _fields_in(node: nodes.Node) -> frozenset[str]:
    """The learner fields an expression looks at (the test of an `if`)."""
    found = {_learner_field(part) for part in [node, *node.find_all((nodes.Getattr, nodes.Getitem))]}
    return frozenset(field for field in found if field is not None)


def _learner_field(node: nodes.Node) -> str | None:
    """ "first_name", "name", "attributes.plan" or "answers.team" when `node` reads one (fields
    every learner has, `locale` and `platform`, and names given at run time are not tracked)."""
    if not isinstance(node, (nodes.Getattr, nodes.Getitem)):
        return None
    base, attrs, _rest = _unwind(node)
    if not isinstance(base, nodes.Name) or base.name not in ("learner", "answers") or not attrs:
        return None
    if base.name == "answers":
        return f"answers.{attrs[0]}" if attrs[0] not in (None, *_MAPPING_METHODS) else None
    if attrs[0] in ("first_name", "name"):
        return attrs[0]
    if attrs[0] == "attributes" and len(attrs) > 1 and attrs[1] not in (None, *_MAPPING_METHODS):
        return f"attributes.{attrs[1]}"
    return None


def _absence_message(field: str) -> str:
    shown = f"learner.{field}"
    who = (
        "learners without that attribute"
        if field.startswith("attributes.")
        else ("learners whose platform gives no name")
    )
    return (
        f"{shown} is empty for {who}, and the text would read oddly for them: write "
        f'{{{{ {shown} | default("...") }}}} or put it inside {{% if {shown} %}}...{{% endif %}}'
    )
