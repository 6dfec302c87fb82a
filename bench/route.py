"""Benchmark: what routing one spoken sentence costs against a generated 2,000-unit hotline.

The hotline is the bundled one with generated departments added until it has 2,000 units (as bench/load.py
generates it). Each sentence of tests/speech_sentences.yaml is routed in turn, round after round, and each call
is timed on its own, in wall-clock and in processor time (the wall clock also counts the time other
processes held the core): printed are the median and p99 per sentence, the router's build time, and, measured in the
same run on the same sentences, the baseline: the plain split on "a unit's keyword appears in the sentence"
over the same 2,000 units. Like an `ivr serve` worker, the bench freezes what it built (gc.freeze) before
measuring. The target: under 2 ms a sentence.
Run: python bench/route.py [--rounds 20] [--units 2000]
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivr.core.loader import load_hotline  # noqa: E402
from ivr.core.model import Hotline, Lang  # noqa: E402
from ivr.core.router import Router  # noqa: E402

TARGET_MS = 2.0


def big_hotline(folder: Path, units: int) -> Hotline:
    """Load the bundled hotline with generated departments added until it has `units` units."""
    menus = folder / "menus"
    shutil.copytree(ROOT / "menus", menus)
    shutil.copytree(ROOT / "audio", folder / "audio")
    text = (menus / "units.yaml").read_text(encoding="utf-8")
    bundled = len(load_hotline(ROOT / "menus").units)
    extra = "".join(
        f"  generated_{i}:\n    kind: department\n    name: {{zh: 第{i}科, ko: 제{i}과}}\n"
        f"    address: {{zh: 锦水街416号, ko: 금수가 416호}}\n    postcode: \"133100\"\n    schedule: standard\n"
        f"    summary: {{zh: 第{i}科的业务, ko: 제{i}과의 업무}}\n    keywords: [科{i}]\n    parent: bureau\n"
        for i in range(units - bundled))
    (menus / "units.yaml").write_text(text.replace("units:\n", "units:\n" + extra, 1), encoding="utf-8")
    return load_hotline(menus)


def keyword_split(hotline: Hotline) -> Callable[[str, Lang], list[str]]:
    """The baseline: the units one of whose keywords appears in the sentence as it is."""
    keywords = [(unit.id, unit.keywords) for unit in hotline.units.values()]

    def route(sentence: str, lang: Lang) -> list[str]:
        return [unit_id for unit_id, words in keywords if any(word in sentence for word in words)]

    return route


def timed(route: Callable[[str, Lang], object], sentences: list[tuple[str, Lang]],
          rounds: int) -> tuple[list[float], list[float]]:
    """Route every sentence `rounds` times; return each call's wall-clock and processor time in milliseconds."""
    wall, cpu = [], []
    for _ in range(rounds):
        for sentence, lang in sentences:
            started, started_cpu = time.perf_counter_ns(), time.thread_time_ns()
            route(sentence, lang)
            cpu.append((time.thread_time_ns() - started_cpu) / 1e6)
            wall.append((time.perf_counter_ns() - started) / 1e6)
    return wall, cpu


def p99(times: list[float]) -> float:
    return statistics.quantiles(times, n=100)[98]


def summary(name: str, times: tuple[list[float], list[float]]) -> str:
    wall, cpu = times
    return (f"{name:<34} wall median {statistics.median(wall):6.3f} ms  p99 {p99(wall):6.3f} ms | "
            f"processor median {statistics.median(cpu):6.3f} ms  p99 {p99(cpu):6.3f} ms  ({len(wall)} calls)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--units", type=int, default=2000)
    args = parser.parse_args()
    labelled = yaml.safe_load((ROOT / "tests" / "speech_sentences.yaml").read_text(encoding="utf-8"))["sentences"]
    sentences: list[tuple[str, Lang]] = [(s["say"], s["lang"]) for s in labelled]
    with tempfile.TemporaryDirectory() as folder:
        hotline = big_hotline(Path(folder), args.units)
    started = time.perf_counter()
    router = Router.from_hotline(hotline)
    build = time.perf_counter() - started
    gc.collect()
    gc.freeze()  # as each `ivr serve` worker does with what it built before serving
    print(f"{len(hotline.units)} units; router built in {build * 1000:.0f} ms (once per menus version)")
    timed(router.route, sentences[:20], 1)  # warm the caches of pypinyin and the conversion tables
    baseline = timed(keyword_split(hotline), sentences, args.rounds)
    routed = timed(router.route, sentences, args.rounds)
    print(summary("baseline: keyword-substring split", baseline))
    print(summary("router", routed))
    wall, cpu = routed
    met = statistics.median(wall) < TARGET_MS and p99(cpu) < TARGET_MS
    print(f"target: under {TARGET_MS} ms a sentence (wall median, processor p99): {'met' if met else 'NOT met'}; "
          f"router / baseline (wall median): {statistics.median(wall) / statistics.median(baseline[0]):.2f}x; "
          f"the wall p99 counts the time other processes held this one's core (load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")

if __name__ == "__main__":
    main()
