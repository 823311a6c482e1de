"""The statistics of a campaign's lift over its holdout, in plain Python: the difference of
two conversion rates, its 95% interval (Newcombe's hybrid score interval) and a two-sided
test of "no difference" (Fisher's exact test on small counts, else the z-test).

Newcombe's interval rather than Wald's: Wald's collapses to a single point when an arm has
no conversions (a common holdout) and covers far less than 95% at the small rates and
audiences campaigns have; the hybrid score interval, built from each arm's Wilson interval,
stays inside [-1, 1] and keeps its coverage there (Newcombe 1998, Statistics in Medicine
17:873, method 10)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Z_95 = 1.959963984540054
"""The normal quantile of a two-sided 95% interval."""
SMALL_EXPECTED = 5
"""Below this expected count in any cell of the 2x2 table the z-test's normal approximation
is not trusted (Cochran's rule) and Fisher's exact test is used instead."""
_SAME_PROBABILITY = 1 + 1e-7
"""Tables as likely as the observed one, up to rounding, count as extreme as it (as R does)."""

Test = Literal["z-test", "fisher"]


@dataclass(frozen=True)
class Lift:
    """A variant's conversion rate minus the holdout's, as a fraction (0.02: 2 points)."""

    difference: float
    interval: tuple[float, float]
    p_value: float
    test: Test


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion; None without trials."""
    if trials <= 0:
        return None
    rate = successes / trials
    centre = (rate + z * z / (2 * trials)) / (1 + z * z / trials)
    spread = z / (1 + z * z / trials) * math.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials * trials))
    return max(0.0, centre - spread), min(1.0, centre + spread)


def newcombe_interval(
    converted: int, audience: int, held_converted: int, held_audience: int, z: float = Z_95
) -> tuple[float, float] | None:
    """Newcombe's hybrid score interval of rate(converted/audience) - rate(held...)."""
    first, second = wilson_interval(converted, audience, z), wilson_interval(held_converted, held_audience, z)
    if first is None or second is None:
        return None
    p1, p2 = converted / audience, held_converted / held_audience
    (l1, u1), (l2, u2) = first, second
    difference = p1 - p2
    low = difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return low, high


def z_test(converted: int, audience: int, held_converted: int, held_audience: int) -> float | None:
    """The two-sided p-value of the pooled two-proportion z-test; None when it cannot be
    computed (an empty arm, or nobody or everybody converted)."""
    if audience <= 0 or held_audience <= 0:
        return None
    pooled = (converted + held_converted) / (audience + held_audience)
    error = math.sqrt(pooled * (1 - pooled) * (1 / audience + 1 / held_audience))
    if error == 0:
        return None
    z = (converted / audience - held_converted / held_audience) / error
    return math.erfc(abs(z) / math.sqrt(2))


def fisher_exact(converted: int, audience: int, held_converted: int, held_audience: int) -> float | None:
    """The two-sided p-value of Fisher's exact test: the probability, given both arms' sizes
    and the conversions between them, of a split at most as likely as the one observed."""
    if audience <= 0 or held_audience <= 0:
        return None
    total = converted + held_converted
    lowest, highest = max(0, total - held_audience), min(total, audience)

    def log_probability(first: int) -> float:
        return _log_comb(audience, first) + _log_comb(held_audience, total - first)

    norm = _log_comb(audience + held_audience, total)
    observed = log_probability(converted)
    threshold = observed + math.log(_SAME_PROBABILITY)
    p = sum(
        math.exp(log_probability(first) - norm)
        for first in range(lowest, highest + 1)
        if log_probability(first) <= threshold
    )
    return min(1.0, p)


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def small_counts(converted: int, audience: int, held_converted: int, held_audience: int) -> bool:
    """Whether any cell of the 2x2 table expects fewer than SMALL_EXPECTED learners."""
    everyone = audience + held_audience
    total = converted + held_converted
    return any(
        arm * outcome / everyone < SMALL_EXPECTED
        for arm in (audience, held_audience)
        for outcome in (total, everyone - total)
    )


def lift(converted: int, audience: int, held_converted: int, held_audience: int) -> Lift | None:
    """The variant's lift over the holdout with its interval and p-value; None when either
    arm has nobody in it."""
    interval = newcombe_interval(converted, audience, held_converted, held_audience)
    if interval is None:
        return None
    counts = (converted, audience, held_converted, held_audience)
    test: Test = "fisher" if small_counts(*counts) else "z-test"
    p_value = fisher_exact(*counts) if test == "fisher" else z_test(*counts)
    # Both arms have learners, and the z-test is only undefined when nobody (or everybody)
    # converted, when every cell of one column expects 0 and Fisher's test is the one used.
    assert p_value is not None
    return Lift(converted / audience - held_converted / held_audience, interval, p_value, test)


def lift_text(found: Lift) -> str:
    """`+2.0 points, 95% CI -1.0 to +5.0, p = 0.21 by z-test`, as the report's table prints it."""
    return f"{found.difference * 100:+.1f} points, {evidence_text(found)}"


def evidence_text(found: Lift) -> str:
    """`95% CI -1.0 to +5.0, p = 0.21 by z-test`: what `campaign status` adds to its lift."""
    low, high = found.interval
    test = "Fisher's exact test" if found.test == "fisher" else "z-test"
    return f"95% CI {low * 100:+.1f} to {high * 100:+.1f}, p = {found.p_value:.2g} by {test}"
