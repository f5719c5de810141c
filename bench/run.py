"""Run the benchmarks and print, for each scenario, the time and peak memory of build-appeal and of its
baseline measured in the same run, and their ratio (these machines are noisy: only ratios compare, and each
command but the batch's runs `RUNS` times, in turn with its baseline, for the median).

    .venv/bin/python bench/generate.py && .venv/bin/python bench/run.py [large|chinese|batch|rebuild ...]
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"
PYTHON = sys.executable
BUILD = [PYTHON, "-m", "pipeline", "-q"]
RUNS = 3
"""Each measured command of the large, chinese and rebuild scenarios runs this many times, in turn with its
baseline; the median time is reported (and the largest peak memory)."""


def measure(command: list[str], cwd: Path = ROOT) -> tuple[float, float]:
    """Wall time in seconds and peak memory in MB of a command run in a fresh process (its children too)."""
    probe = (
        "import resource, subprocess, sys, time, json; t = time.monotonic(); "
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
        "print(json.dumps([code, time.monotonic() - t, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024]))"
    )
    out = subprocess.run([PYTHON, "-c", probe, *command], cwd=cwd, capture_output=True, text=True, check=True)
    code, seconds, megabytes = json.loads(out.stdout.splitlines()[-1])
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit code {code}")
    return seconds, megabytes


def median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The median time of `runs` and the largest peak memory."""
    return statistics.median(seconds for seconds, _ in runs), max(megabytes for _, megabytes in runs)


def row(name: str, ours: tuple[float, float], base: tuple[float, float], target: str) -> None:
    ratio = ours[0] / base[0]
    print(f"{name:<34} {ours[0]:8.1f} s {ours[1]:7.0f} MB | baseline {base[0]:7.1f} s {base[1]:6.0f} MB | "
          f"ratio {ratio:5.2f}  (target {target})")  # fmt: skip


def large(out: Path) -> None:
    files = sorted((CASES / "large" / "evidence").glob("*.pdf"))
    append = (
        "import sys; from pypdf import PdfWriter; w = PdfWriter(); "
        "[w.append(f) for f in sys.argv[2:]]; w.write(sys.argv[1])"
    )
    wholes, ones, bares, costs = [], [], [], []
    for run in range(RUNS):
        # Each build in an output folder of its own: nothing is taken from another build's cache.
        wholes.append(measure([*BUILD, str(CASES / "large"), "-o", str(out / f"whole-{run}")]))
        ones.append(measure([*BUILD, str(CASES / "large-one"), "-o", str(out / f"one-{run}")]))
        bares.append(measure([PYTHON, "-c", append, str(out / "bare.pdf"), *map(str, files)]))
        costs.append((wholes[-1][0] - ones[-1][0], wholes[-1][1]))
    whole, bare, evidence = median(wholes), median(bares), median(costs)
    qpdf = measure(["qpdf", "--empty", "--pages", *map(str, files), "--", str(out / "qpdf.pdf")])
    row("large: whole build", whole, bare, "-")
    row("large: evidence cost (minus 1-exhibit)", evidence, bare, "<= 3")
    row("large: qpdf --empty --pages (reference)", qpdf, bare, "-")
    inputs = sum(path.stat().st_size for path in files)
    bundle = (out / "whole-0" / "large" / "bundle.pdf").stat().st_size
    print(f"{'large: bundle size / inputs':<34} {bundle / inputs:5.2f}  (target <= 1.10); "
          f"peak {whole[1]:.0f} MB (target < 1024)")  # fmt: skip


def chinese(out: Path) -> None:
    example = ROOT / "cases" / "example"
    english, both = [], []
    for run in range(RUNS):
        english.append(measure([*BUILD, str(example), "-o", str(out / f"en-{run}"), "--lang", "en"]))
        both.append(measure([*BUILD, str(example), "-o", str(out / f"bi-{run}"), "--lang", "bilingual"]))
    row("chinese: bilingual vs en", median(both), median(english), "<= 1.3")


def batch(out: Path) -> None:
    # Without the cache both ways: this measures the cores and LibreOffice kept running, not reuse.
    cases = sorted((CASES / "batch").iterdir())
    together = measure([*BUILD, *map(str, cases), "--no-cache", "-o", str(out / "together")])
    each = [measure([*BUILD, str(case), "--no-cache", "-o", str(out / "apart")]) for case in cases]
    apart = (sum(seconds for seconds, _ in each), max(megabytes for _, megabytes in each))
    row("batch: 40 cases at once vs one by one", together, apart, ">= 2x faster, i.e. <= 0.5")


def rebuild(out: Path) -> None:
    case = out / "src" / "case"
    shutil.copytree(ROOT / "cases" / "example", case)
    (case / "templates").mkdir()
    template = (ROOT / "templates" / "cs_inquiry.html").read_text(encoding="utf-8")
    edited = case / "templates" / "cs_inquiry.html"
    cleans, agains = [], []
    for run in range(RUNS):
        edited.write_text(template, "utf-8")
        cleans.append(measure([*BUILD, str(case), "-o", str(out / f"run-{run}")]))  # a new output folder
        edited.write_text(template.replace("</h1>", " </h1>", 1), "utf-8")
        agains.append(measure([*BUILD, str(case), "-o", str(out / f"run-{run}")]))
    clean = median(cleans)
    row("rebuild after editing cs_inquiry.html", median(agains), clean, "<= 0.3")
    watched = [rebuild_in_watch(case, out / f"watched-{run}", template) for run in range(RUNS)]
    first, build, save = (statistics.median(values) for values in zip(*watched, strict=True))
    print(f"{'rebuild inside --watch':<34} {build:8.1f} s (from the save to the bundle: {save:.1f} s) | "
          f"ratio {build / clean[0]:5.2f} (from the save: {save / clean[0]:.2f})")  # fmt: skip
    print(f"{'  vs the first build of that watch':<34} {first:8.1f} s (clean; no start-up in either) | "
          f"ratio {build / first:5.2f}")  # fmt: skip


def rebuild_in_watch(case: Path, out: Path, template: str) -> tuple[float, float, float]:
    """The same edit while `build-appeal --watch` runs: the time of its first build (a clean one: `out` is
    new), the time of the rebuild it prints, and the time from saving the template to that line (the
    watch's debounce included)."""
    edited = case / "templates" / "cs_inquiry.html"
    edited.write_text(template, "utf-8")
    watch = subprocess.Popen(
        [*BUILD, str(case), "-o", str(out), "--watch"], cwd=ROOT, stderr=subprocess.PIPE, text=True
    )
    try:
        assert watch.stderr is not None
        first = 0.0
        for line in watch.stderr:
            if line.startswith("built"):
                first = seconds(line)
            if line.startswith("watching"):
                break
        saved = time.monotonic()
        edited.write_text(template.replace("</h1>", "  </h1>", 1), "utf-8")
        for line in watch.stderr:
            if line.startswith("built"):
                return first, seconds(line), time.monotonic() - saved
        raise SystemExit("build-appeal --watch stopped before it rebuilt")
    finally:
        watch.terminate()
        watch.wait()


def seconds(line: str) -> float:
    """The time in a watch's line `built <bundle> in 0.7 s (...)`."""
    return float(line.split(" in ")[1].split(" s")[0])


SCENARIOS = {"large": large, "chinese": chinese, "batch": batch, "rebuild": rebuild}

if __name__ == "__main__":
    chosen = sys.argv[1:] or list(SCENARIOS)
    for name in chosen:
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as folder:
            SCENARIOS[name](Path(folder))
    print(f"max RSS of this runner: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
