"""A Jinja sandbox whose renders cannot hang the bot or build a huge message.

Jinja's sandbox keeps content away from Python internals but not from work: `"a" * 10**9`,
`center(10**9)`, `9**9**9` or loops in loops over a learner's long answer all pass it. Here
every operator and call that can grow a value is checked before it runs, every loop step
counts against a budget per render, and the output stops at a cap, so whatever content
says, one render does a bounded amount of work. Exceeding a limit raises `TooCostly`.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sized
from contextvars import ContextVar
from typing import Any

from jinja2 import Template, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_OUTPUT = 20_000
"""Characters one text may render to (Telegram splits at 4,096, Slack at 3,000 a section)."""
MAX_STEPS = 10_000
"""Loop steps one render may take, all loops together."""
MAX_NUMBER_ARGUMENT = 1_000
"""The largest number a filter or method may be given (a width, a count)."""
_COUNTED = "lessonloop_counted"
_WIDE_FORMAT = re.compile(r"%[^a-zA-Z%]*(\d{4,}|\*)")
_UNBOUNDED_METHODS = frozenset({"format", "format_map", "expandtabs"})


class TooCostly(SecurityError):  # noqa: N818 - reads as what happened
    """A render asked for more work or output than one message may take."""


_steps: ContextVar[list[int]] = ContextVar("template_steps")


def _size(value: object) -> int:
    return len(value) if isinstance(value, Sized) and not isinstance(value, dict) else 0


def _check_size(value: object) -> object:
    if _size(value) > MAX_OUTPUT:
        raise TooCostly(f"a value of {_size(value)} characters or items")
    return value


def _check_arguments(arguments: Iterable[object]) -> None:
    for argument in arguments:
        if isinstance(argument, int) and abs(argument) > MAX_NUMBER_ARGUMENT:
            raise TooCostly(f"the number {argument} as an argument")


def _counted(values: Iterable[object]) -> Iterator[object]:
    """Each loop's iterable is wrapped in this: every step is paid for."""
    steps = _steps.get()
    for value in values:
        steps[0] += 1
        if steps[0] > MAX_STEPS:
            raise TooCostly(f"more than {MAX_STEPS} loop steps")
        yield value


def _guarded_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    skip = 2 if hasattr(function, "jinja_pass_arg") else 1  # the context, the value filtered

    def guarded(*args: Any, **kwargs: Any) -> Any:
        _check_arguments([*args[skip:], *kwargs.values()])
        if function.__name__ == "do_replace":
            _check_replace(args[1:], kwargs)
        return _check_size(function(*args, **kwargs))

    for attribute in ("jinja_pass_arg",):
        if hasattr(function, attribute):
            setattr(guarded, attribute, getattr(function, attribute))
    return guarded


def _check_replace(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """`replace` can square a text's length (an empty `old` matches between every character)."""
    text, old, new = (str(value) for value in (*args[:3], "", "", "")[:3])
    matches = len(text) + 1 if old == "" else text.count(old)
    if len(text) + matches * max(len(new) - len(old), 0) > MAX_OUTPUT:
        raise TooCostly("a replacement that grows the text beyond the output limit")


class BudgetedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox for content templates; render through `render_capped`."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals.clear()  # range, lipsum, cycler...: content names only learner and answers
        self.filters = {name: _guarded_filter(function) for name, function in self.filters.items()}
        self.filters[_COUNTED] = _counted

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        if operator_ == "**":
            exponent = right if isinstance(right, int) else 0
            bits = abs(left).bit_length() if isinstance(left, int) else 1
            if exponent > 0 and bits * exponent > 4096:
                raise TooCostly(f"a power with {bits * exponent} bits")
            return operator.pow(left, right)
        if operator_ == "*":
            for sequence, count in ((left, right), (right, left)):
                if _size(sequence) and isinstance(count, int) and _size(sequence) * count > MAX_OUTPUT:
                    raise TooCostly(f"a string of {_size(sequence) * count} characters")
            return operator.mul(left, right)
        if operator_ == "%":
            if isinstance(left, str) and _WIDE_FORMAT.search(left):
                raise TooCostly("a % format with a huge width")
            return _check_size(operator.mod(left, right))
        return _check_size(operator.add(left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        if getattr(__obj, "__name__", "") in _UNBOUNDED_METHODS and isinstance(
            getattr(__obj, "__self__", None), str
        ):
            raise TooCostly(f"str.{__obj.__name__}, whose output has no bound")
        _check_arguments([*args, *kwargs.values()])
        return _check_size(super().call(__context, __obj, *args, **kwargs))

    def compile_budgeted(self, source: str) -> Template:
        """`source` compiled with every loop paying for its steps; recursive loops are refused."""
        tree = self.parse(source)
        for loop in tree.find_all(nodes.For):
            if loop.recursive:
                raise TooCostly("a recursive loop")
            loop.iter = nodes.Filter(loop.iter, _COUNTED, [], [], None, None, lineno=loop.lineno)
        return self.from_string(tree)


def render_capped(template: Template, variables: dict[str, object]) -> str:
    """`template` rendered within the budget; raises `TooCostly` past any limit."""
    token = _steps.set([0])
    try:
        chunks: list[str] = []
        length = 0
        for chunk in template.generate(**variables):
            length += len(chunk)
            if length > MAX_OUTPUT:
                raise TooCostly(f"more than {MAX_OUTPUT} characters of output")
            chunks.append(chunk)
        return "".join(chunks)
    finally:
        _steps.reset(token)
