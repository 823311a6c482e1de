"""How well and how fast the bot matches questions to FAQ entries, on public intent data.

For each intent of the training split, one FAQ entry is built from K of its texts (the first
is the entry's question, the rest its phrasings), drawn with a fixed seed; every test query
then goes through `FaqMatcher.match`, the code the bot runs, with the thresholds it ships.
Figures are averaged over the seeds. Out-of-scope test queries (category `oos`) should be
declined (`unanswered`).

- accuracy: the best candidate is the right entry (among in-scope queries), whatever the decision;
- in_scope_accuracy: the best candidate is right and the question was not declined
  (Larson et al. 2019's in-scope accuracy with a threshold);
- answered / answered_precision: share answered directly, and how many of those were right;
- suggested_right_offered: of the in-scope questions met with "Did you mean", the share
  whose right entry was among the buttons;
- oos_recall: out-of-scope questions declined; oos_answered: answered anyway (the worst case).

Prints JSON. Without --train/--test it runs BANKING77 (K=10 and 5) and CLINC150 (K=10), and
measures speed and memory; `--readme` writes those rows into README's table. `--speed-only`
skips the accuracy runs (about 6 minutes of both cores): the per-question latency then comes
from CLINC150 K=10 with one seed, and only the speed/memory row is written.

    .venv/bin/python bench/faq.py [--readme]
    .venv/bin/python bench/faq.py --speed-only [--readme]
    .venv/bin/python bench/faq.py --train FILE.csv --test FILE.csv [--k 10] [--seeds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.faq_data import DataSet, Query, banking77, clinc150, csv_pair, phrasings_per_category  # noqa: E402
from bench.readme import update_readme_row  # noqa: E402
from bot.content.model import ContentPack, Faq, FaqEntry, LocalText  # noqa: E402
from bot.faq.embeddings import Encoder  # noqa: E402
from bot.faq.matcher import ANSWER_AT, ANSWER_MARGIN, SUGGEST_AT, Decision, FaqMatcher  # noqa: E402

LOCALE = "en"


def faq_pack(phrasings: dict[str, list[str]], name: str = "bench") -> ContentPack:
    """A content pack with one FAQ entry per category."""
    entries = tuple(
        FaqEntry(
            id=category,
            question=LocalText({LOCALE: texts[0]}, LOCALE),
            answer=LocalText({LOCALE: f"The answer about {category}."}, LOCALE),
            phrasings={LOCALE: tuple(texts[1:])},
            faq_id=name,
        )
        for category, texts in phrasings.items()
        if texts
    )
    return ContentPack({}, {}, {}, {name: Faq(name, entries, LOCALE)}, {}, LOCALE)


@dataclass
class Tally:
    in_scope: int = 0
    top_right: int = 0
    kept_right: int = 0
    answered: int = 0
    answered_right: int = 0
    suggested: int = 0
    suggested_offered: int = 0
    out_of_scope: int = 0
    oos_declined: int = 0
    oos_answered: int = 0

    def add(self, query: Query, decision: Decision, offered: Sequence[str]) -> None:
        if not query.in_scope:
            self.out_of_scope += 1
            self.oos_declined += decision is Decision.UNANSWERED
            self.oos_answered += decision is Decision.ANSWERED
            return
        self.in_scope += 1
        right = bool(offered) and offered[0] == query.category
        self.top_right += right
        self.kept_right += right and decision is not Decision.UNANSWERED
        if decision is Decision.ANSWERED:
            self.answered += 1
            self.answered_right += right
        elif decision is Decision.SUGGESTED:
            self.suggested += 1
            self.suggested_offered += query.category in offered

    def figures(self) -> dict[str, float]:
        def share(part: int, whole: int) -> float:
            return part / whole if whole else float("nan")

        return {
            "accuracy": share(self.top_right, self.in_scope),
            "in_scope_accuracy": share(self.kept_right, self.in_scope),
            "answered": share(self.answered, self.in_scope),
            "answered_precision": share(self.answered_right, self.answered),
            "suggested": share(self.suggested, self.in_scope),
            "suggested_right_offered": share(self.suggested_offered, self.suggested),
            "oos_recall": share(self.oos_declined, self.out_of_scope),
            "oos_answered": share(self.oos_answered, self.out_of_scope),
        }


def evaluate(data: DataSet, k: int, seeds: int) -> dict[str, object]:
    """Match every test query once per seed; figures averaged over seeds, latency pooled."""
    per_seed: list[dict[str, float]] = []
    latencies: list[float] = []
    builds: list[float] = []
    for seed in range(seeds):
        pack = faq_pack(phrasings_per_category(data.train, k, seed))
        started = time.perf_counter()
        matcher = FaqMatcher(pack)
        builds.append(time.perf_counter() - started)
        tally = Tally()
        for query in data.test:
            started = time.perf_counter()
            match = matcher.match(query.text, LOCALE)
            latencies.append(time.perf_counter() - started)
            tally.add(query, match.decision, [candidate.entry.id for candidate in match.candidates])
        per_seed.append(tally.figures())
    result: dict[str, object] = {
        "data": data.name,
        "k": k,
        "seeds": seeds,
        "entries": len(pack.faq_entries),
        "test_queries": len(data.test),
        "out_of_scope_queries": sum(not query.in_scope for query in data.test),
    }
    for name in per_seed[0]:
        values = [figures[name] for figures in per_seed if figures[name] == figures[name]]
        result[name] = round(statistics.fmean(values), 4) if values else None
    result["accuracy_per_seed"] = [round(figures["accuracy"], 4) for figures in per_seed]
    ordered = sorted(latencies)
    result["median_ms"] = round(statistics.median(ordered) * 1000, 2)
    result["p99_ms"] = round(ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000, 2)
    # Texts this process embedded before (an earlier K or data set) are not embedded again.
    result["index_build_s"] = round(statistics.fmean(builds), 3)
    return result


def build_times(data: DataSet, entries: int = 1000, texts_per_entry: int = 3) -> dict[str, object]:
    """Index build for `entries` entries of a question and two phrasings (by default), with a
    freshly loaded model that has embedded nothing yet, and the rebuild after one change."""
    texts = list(dict.fromkeys(query.text for query in data.train))
    needed = entries * texts_per_entry
    # More texts than the training split has: repeat it, made distinct with a counter.
    texts = [
        texts[i % len(texts)] + (f" ({i // len(texts)})" if i >= len(texts) else "") for i in range(needed)
    ]
    groups = {f"e{n}": texts[n * texts_per_entry : (n + 1) * texts_per_entry] for n in range(entries)}
    started = time.perf_counter()
    encoder = Encoder()
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    matcher = FaqMatcher(faq_pack(groups), encoder=encoder)
    cold = time.perf_counter() - started
    groups["e0"] = [*groups["e0"], "a phrasing added after the start"]
    started = time.perf_counter()
    matcher.refresh(faq_pack(groups))
    rebuild = time.perf_counter() - started
    return {
        "entries": entries,
        "texts": needed,
        "model_load_s": round(loaded, 3),
        "build_cold_s": round(cold, 3),
        "rebuild_after_one_change_s": round(rebuild, 3),
    }


def bot_rss_mb() -> float:
    """Peak resident memory of a fresh process running the bot's engine on the bundled
    content, after answering a few questions (so the model is loaded and used)."""
    output = subprocess.run(
        [sys.executable, __file__, "--rss-probe"], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    return float(output.strip().splitlines()[-1])


def rss_probe() -> None:
    from bot.content.loader import load_content
    from bot.engine import Engine
    from bot.messages import InboundEvent, Platform, Sender
    from storage.db import Database
    from storage.migrate import upgrade

    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{folder}/rss.db")
        upgrade(database)
        engine = Engine(load_content([ROOT / "content"]), database)
        questions = ("how do I reset my password", "can I get a refund?", "what is the airspeed of a swallow")
        for serial, text in enumerate(questions):
            engine.handle(
                InboundEvent(
                    sender=Sender(Platform.CONSOLE, "rss", first_name="Probe"),
                    conversation_id="rss",
                    event_id=f"rss-{serial}",
                    received_at=datetime.now(UTC),
                    text=text,
                )
            )
        database.dispose()
    status = Path("/proc/self/status").read_text(encoding="utf-8")
    peak_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    print(round(peak_kb / 1024, 1))


def percent(value: object) -> str:
    return f"{float(value) * 100:.1f}%" if isinstance(value, float) else "n/a"


def speed_and_memory(clinc: DataSet, latencies_from: list[dict[str, object]]) -> dict[str, object]:
    medians = [float(str(result["median_ms"])) for result in latencies_from]
    return {
        "median_ms": round(statistics.median(medians), 2),
        "p99_ms": max(float(str(result["p99_ms"])) for result in latencies_from),
        **build_times(clinc),
        "build_cold_questions_only_s": build_times(clinc, texts_per_entry=1)["build_cold_s"],
        "bot_rss_mb": bot_rss_mb(),
    }


def write_speed_row(speed: dict[str, object], machine: str) -> None:
    update_readme_row(
        ROOT / "README.md",
        "faq speed/memory",
        f"median {speed['median_ms']} ms, p99 {speed['p99_ms']} ms per question; "
        f"build {speed['build_cold_s']} s for {speed['entries']} entries ({speed['texts']} texts), "
        f"rebuild {speed['rebuild_after_one_change_s']} s; bot RSS {speed['bot_rss_mb']} MB",
        "median < 10 ms, build < 5 s for 1,000 entries, RSS < 400 MB",
        machine,
    )


def write_readme(results: list[dict[str, object]], speed: dict[str, object], machine: str) -> None:
    readme = ROOT / "README.md"
    targets = {
        ("BANKING77", 10): "accuracy ≥ 85%",
        ("BANKING77", 5): "(reported)",
        ("CLINC150", 10): "in-scope ≥ 88%, out-of-scope recall ≥ 75%",
    }
    for result in results:
        name = f"faq {result['data']} K={result['k']}"
        text = (
            f"accuracy {percent(result['accuracy'])}, in-scope {percent(result['in_scope_accuracy'])}, "
            f"answered {percent(result['answered'])} at {percent(result['answered_precision'])} precision"
        )
        if result["out_of_scope_queries"]:
            text += f", out-of-scope recall {percent(result['oos_recall'])}"
        text += f" ({result['seeds']} seeds)"
        update_readme_row(readme, name, text, targets[(str(result["data"]), int(str(result["k"])))], machine)
    write_speed_row(speed, machine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, help="a text,category CSV to build the FAQ from")
    parser.add_argument("--test", type=Path, help="a text,category CSV to ask (category oos: out of scope)")
    parser.add_argument("--k", type=int, default=10, help="phrasings per entry (with --train/--test)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--readme", action="store_true", help="write the figures into README.md")
    parser.add_argument(
        "--speed-only", action="store_true", help="latency, build time and memory; no accuracy runs"
    )
    parser.add_argument("--rss-probe", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.rss_probe:
        rss_probe()
        return
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    thresholds = {"answer_at": ANSWER_AT, "answer_margin": ANSWER_MARGIN, "suggest_at": SUGGEST_AT}
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    if arguments.train or arguments.test:
        if not (arguments.train and arguments.test):
            parser.error("--train and --test go together")
        result = evaluate(csv_pair(arguments.train, arguments.test), arguments.k, arguments.seeds)
        print(json.dumps({**result, "thresholds": thresholds, "machine": machine}, indent=2))
        return
    if arguments.speed_only:
        clinc = clinc150()
        speed = speed_and_memory(clinc, [evaluate(clinc, 10, 1)])
        print(json.dumps({"speed": speed, "machine": machine}, indent=2))
        if arguments.readme:
            write_speed_row(speed, machine)
        return
    banking, clinc = banking77(), clinc150()
    results = [
        evaluate(banking, 10, arguments.seeds),
        evaluate(banking, 5, arguments.seeds),
        evaluate(clinc, 10, arguments.seeds),
    ]
    speed = speed_and_memory(clinc, results)
    report = {"results": results, "speed": speed, "thresholds": thresholds, "machine": machine}
    print(json.dumps(report, indent=2))
    if arguments.readme:
        write_readme(results, speed, machine)


if __name__ == "__main__":
    main()
