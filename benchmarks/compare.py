#!/usr/bin/env python3
"""Time cfn-arch-lint, cfn-lint and checkov side by side, as whole processes, on the same inputs.

    python benchmarks/compare.py                      # installs the peers, runs, writes docs/performance.md
    python benchmarks/compare.py --skip-peers --tiny  # cfn-arch-lint alone on tiny inputs (the test does this)

The peers are installed with pip into their own virtual environment, ``benchmarks/.venv-peers`` (ignored by git),
so they never share packages with the project. Every measurement is a fresh process (so "cold" includes start-up
and imports); wall time and CPU time come from ``os.wait4``, as does the peak resident set size of the largest
process (for ``-j`` runs: of one process, not the sum of the workers). Each measurement is repeated and the
median kept. The inputs:

- one small template (a queue and its consumer), cold;
- generated templates of 500 and 5,000 resources (queues, dead-letter queues, roles, functions, mappings);
- a folder of templates in one invocation (``../shared/corpus`` by default).

It also times the floor a loader can reach (composing every YAML file with PyYAML's libyaml ``CSafeLoader`` and
``json.loads`` every JSON file, in one process) and prints every ratio.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parent.parent
PEERS_VENV = ROOT / "benchmarks" / ".venv-peers"
PEER_PACKAGES = ("cfn-lint", "checkov")
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
ANALYSIS_MARKER = "<!-- analysis: written by hand, kept by compare.py -->"

SMALL = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 120
"""


def generated_template(resources: int) -> str:
    """A valid template of about ``resources`` resources: groups of a dead-letter queue, a queue that redrives
    to it, a role, a function and the event source mapping that connects the queue to the function."""
    lines = ['AWSTemplateFormatVersion: "2010-09-09"', "Description: generated for benchmarks", "Resources:"]
    for i in range(max(1, resources // 5)):
        lines += [
            f"  Dlq{i}:", "    Type: AWS::SQS::Queue", "    Properties:", "      MessageRetentionPeriod: 1209600",
            f"  Queue{i}:", "    Type: AWS::SQS::Queue", "    Properties:", "      VisibilityTimeout: 180",
            "      RedrivePolicy:", f"        deadLetterTargetArn: !GetAtt Dlq{i}.Arn", "        maxReceiveCount: 5",
            f"  Role{i}:", "    Type: AWS::IAM::Role", "    Properties:", "      AssumeRolePolicyDocument:",
            '        Version: "2012-10-17"', "        Statement:", "          - Effect: Allow",
            "            Principal: {Service: lambda.amazonaws.com}", "            Action: sts:AssumeRole",
            "      ManagedPolicyArns:",
            "        - arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
            f"  Worker{i}:", "    Type: AWS::Lambda::Function", "    Properties:", "      Runtime: python3.12",
            "      Handler: index.handler", f"      Role: !GetAtt Role{i}.Arn", "      Timeout: 30",
            "      Code:", '        ZipFile: "def handler(event, context): pass"',
            f"  Mapping{i}:", "    Type: AWS::Lambda::EventSourceMapping", "    Properties:",
            f"      EventSourceArn: !GetAtt Queue{i}.Arn", f"      FunctionName: !Ref Worker{i}", "      BatchSize: 10",
        ]
    return "\n".join(lines) + "\n"


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    code: int


@dataclass
class Measure:
    tool: str
    work: str
    runs: list[Run] = field(default_factory=list)
    note: str = ""

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def rss_mb(self) -> float:
        return statistics.median(r.rss_mb for r in self.runs)


def run_process(argv: list[str], env: dict | None = None, timeout: float | None = None) -> Run:
    """Run one whole process: wall time, CPU time (user + system, workers included) and peak RSS (MB)."""
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        process = subprocess.Popen(argv, stdout=sink, stderr=sink, stdin=subprocess.DEVNULL, env=env)
    deadline = started + timeout if timeout else None
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if deadline and time.perf_counter() > deadline:
            process.kill()
            pid, status, usage = os.wait4(process.pid, 0)
            break
        time.sleep(0.005)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    rss = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Run(wall, usage.ru_utime + usage.ru_stime, rss, process.returncode)


def template_files(folder: pathlib.Path) -> list[str]:
    """The files cfn-arch-lint would lint in a folder, so every tool gets the same list."""
    sys.path.insert(0, str(ROOT))
    from linter.api import collect_paths

    return collect_paths([str(folder)])[0]


def commands(tool: str, target: list[str], folder: pathlib.Path | None, lint_exe: str) -> list[str]:
    if tool == "cfn-arch-lint":
        return [lint_exe, "check", *([str(folder)] if folder else target), "--format", "json", "-o", os.devnull]
    if tool == "cfn-lint":
        # cfn-lint takes the file list itself (no folder walking); its default output is text.
        return [str(PEERS_VENV / "bin" / "cfn-lint"), *target]
    if tool == "checkov":
        where = ["-d", str(folder)] if folder else [arg for path in target for arg in ("-f", path)]
        return [str(PEERS_VENV / "bin" / "checkov"), *where, "--framework", "cloudformation", "--quiet",
                "--compact", "--skip-download", "-o", "json"]
    raise ValueError(tool)


def install_peers() -> dict[str, str]:
    """Install cfn-lint and checkov into their own venv (once); their versions."""
    python = PEERS_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
    missing = [p for p in PEER_PACKAGES if not (PEERS_VENV / "bin" / p).exists()]
    if missing:
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True)
    return {p: _version(python, p) for p in PEER_PACKAGES}


def _version(python, package: str) -> str:
    out = subprocess.run([str(python), "-c", f"import importlib.metadata as m; print(m.version({package!r}))"],
                         capture_output=True, text=True)
    return out.stdout.strip() or "?"


def floor_seconds(files: list[str]) -> float:
    """One process composing every YAML file with libyaml and json.loads-ing every JSON file (wall seconds)."""
    code = ("import sys, json, time, yaml\n"
            "files = sys.argv[1:]\n"
            "texts = []\n"
            "for p in files:\n"
            "    try: texts.append(open(p, 'rb').read().decode('utf-8-sig'))\n"
            "    except Exception: pass\n"
            "t = time.perf_counter()\n"
            "for text in texts:\n"
            "    try:\n"
            "        if text.lstrip().startswith(('{', '[')): json.loads(text)\n"
            "        else: yaml.compose(text, Loader=yaml.CSafeLoader)\n"
            "    except Exception: pass\n"
            "print(time.perf_counter() - t)\n")
    out = subprocess.run([sys.executable, "-c", code, *files], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{platform.system()} {platform.release()}, {cpu}, {cores} cores, Python {platform.python_version()}"


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-peers", action="store_true", help="time cfn-arch-lint alone (no install)")
    parser.add_argument("--tiny", action="store_true", help="tiny inputs (5 and 20 resources, 3 corpus files)")
    parser.add_argument("--corpus", type=pathlib.Path, default=DEFAULT_CORPUS, help="folder linted in one run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (the median is kept)")
    parser.add_argument("--corpus-repeat", type=int, default=None,
                        help="runs of the peers on the corpus and the largest template (default: --repeat; minutes each)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before a run is stopped")
    parser.add_argument("--output", type=pathlib.Path, default=ROOT / "docs" / "performance.md",
                        help="markdown report to write ('-' for none)")
    parser.add_argument("--lint-exe", default=None, help="the cfn-arch-lint to time (default: beside this Python)")
    args = parser.parse_args(argv)

    lint_exe = args.lint_exe or shutil.which("cfn-arch-lint", path=str(pathlib.Path(sys.executable).parent)) \
        or shutil.which("cfn-arch-lint")
    if not lint_exe:
        parser.error("cfn-arch-lint is not installed beside this Python; give --lint-exe")
    compile_project()
    versions = {"cfn-arch-lint": _lint_version(lint_exe)}
    tools = ["cfn-arch-lint"]
    if not args.skip_peers:
        versions.update(install_peers())
        tools += list(PEER_PACKAGES)

    work = pathlib.Path(tempfile.mkdtemp(prefix="cfn-arch-lint-bench-"))
    try:
        measures, floor, corpus_count = _measure(args, tools, lint_exe, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = render(measures, tools, floor, corpus_count, args)
    print(table)
    if str(args.output) != "-":
        args.output.parent.mkdir(parents=True, exist_ok=True)
        kept = ""
        if args.output.exists():
            # The hand-written analysis below the marker survives a new run.
            old = args.output.read_text(encoding="utf-8")
            kept = old[old.index(ANALYSIS_MARKER):] if ANALYSIS_MARKER in old else ""
        args.output.write_text(report(table, versions, args) + ("\n" + kept if kept else ""), encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def compile_project() -> None:
    """Byte-compile linter/ and rules/ first, as pip does for an installed package (and as it did for the
    peers): an editable install under PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module on
    every run (about 0.3 s of a cold start here)."""
    import compileall

    for package in ("linter", "rules"):
        compileall.compile_dir(str(ROOT / package), quiet=1)


def _lint_version(lint_exe: str) -> str:
    out = subprocess.run([lint_exe, "--version"], capture_output=True, text=True)
    return out.stdout.strip().rsplit(" ", 1)[-1] or "?"


def _measure(args, tools, lint_exe, work: pathlib.Path):
    small, medium, large = work / "small.yaml", work / "medium.yaml", work / "large.yaml"
    sizes = (5, 20) if args.tiny else (500, 5000)
    small.write_text(SMALL, encoding="utf-8")
    medium.write_text(generated_template(sizes[0]), encoding="utf-8")
    large.write_text(generated_template(sizes[1]), encoding="utf-8")
    corpus_files = template_files(args.corpus)
    corpus_folder = args.corpus
    if args.tiny:
        corpus_folder = work / "corpus"
        corpus_folder.mkdir()
        for i, path in enumerate(corpus_files[:3]):
            shutil.copy(path, corpus_folder / f"{i}{pathlib.Path(path).suffix}")
        corpus_files = template_files(corpus_folder)
    inputs = [
        ("one small template, cold", [str(small)], None, args.repeat),
        (f"generated {sizes[0]:,}-resource template", [str(medium)], None, args.repeat),
        (f"generated {sizes[1]:,}-resource template", [str(large)], None, args.repeat),
        (f"{corpus_folder.name} ({len(corpus_files):,} files), one invocation", corpus_files, corpus_folder,
         args.repeat),
    ]
    measures = []
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORCE_COLOR", "NO_COLOR"))}
    env["BC_SKIP_MAPPING"] = "TRUE"          # checkov: no download of the guideline mapping
    for label, target, folder, repeat in inputs:
        for tool in tools:
            measure = Measure(tool, label)
            # The peers take minutes on the large inputs: --corpus-repeat runs there.
            large = folder is not None or label.startswith(f"generated {sizes[1]:,}")
            runs = repeat if tool == "cfn-arch-lint" or not large else (args.corpus_repeat or repeat)
            for _ in range(max(1, runs)):
                measure.runs.append(run_process(commands(tool, target, folder, lint_exe), env, args.timeout))
                print(f"  {tool:<14} {label}: {measure.runs[-1].wall:.2f} s "
                      f"(exit {measure.runs[-1].code}, load {load_average()})", file=sys.stderr)
            measures.append(measure)
    floor = floor_seconds(corpus_files)
    return measures, floor, len(corpus_files)


def render(measures, tools, floor, corpus_count, args) -> str:
    """The table: per tool wall time, CPU time (all processes) and peak RSS; then wall and CPU ratios."""
    by = {(m.work, m.tool): m for m in measures}
    works = list(dict.fromkeys(m.work for m in measures))
    peers = tools[1:]
    head = ["work"] + [f"{t} (wall, CPU, RSS)" for t in tools] + [f"{t} / cfn-arch-lint (wall, CPU)" for t in peers]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for work in works:
        mine = by[(work, "cfn-arch-lint")]
        cells = [_cell(by[(work, t)]) for t in tools]
        # A peer stopped by --timeout ran at least that long: its ratio is a lower bound.
        ratios = [("≥ " if _stopped(by[(work, t)]) else "") +
                  f"{by[(work, t)].wall / mine.wall:.1f}x, {by[(work, t)].cpu / max(mine.cpu, 1e-3):.1f}x"
                  for t in peers]
        out.append(f"| {work} | " + " | ".join(cells + ratios) + " |")
    corpus = by[(works[-1], "cfn-arch-lint")]
    out += ["", f"Loader floor for the same {corpus_count:,} files (libyaml compose + json.loads, one process): "
                f"{floor:.2f} s; cfn-arch-lint's whole run is {corpus.wall / floor:.1f}x that in wall time "
                f"({corpus.cpu:.1f} s of CPU over all its processes, {corpus.cpu / floor:.1f}x)."]
    return "\n".join(out)


def _stopped(measure: Measure) -> bool:
    return any(r.code < 0 for r in measure.runs)


def _cell(measure: Measure) -> str:
    failed = sum(1 for r in measure.runs if r.code < 0)
    note = f" (stopped at the time limit {failed}x)" if failed else ""
    return f"{measure.wall:.2f} s, {measure.cpu:.2f} s, {measure.rss_mb:.0f} MB{note}"


def _runs(count: int) -> str:
    return f"{count} run" + ("s" if count != 1 else "")


def report(table: str, versions: dict, args) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = ["# Performance", "",
             "Whole processes side by side, made by `python benchmarks/compare.py` (the median of "
             f"{_runs(args.repeat)}; the peers on the corpus and the largest template: "
             f"{_runs(args.corpus_repeat or args.repeat)}). "
             "Each cell: wall time, CPU time (user + system, all processes), peak RSS of the largest process.", "",
             f"- Date: {when}", f"- Machine: {machine()}", f"- Load average when the run ended: {load_average()}",
             "- Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()), "", table, ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
