"""Every template of the shared corpora is linted, skipped as not a template, or reported as a parse
finding: never a traceback, never a hang. Checked against what each corpus manifest says of the file."""
from __future__ import annotations

import csv
import pathlib
import signal
import time
from collections import Counter

import pytest

from linter.api import lint_file
from linter.load import template_marks

from conftest import SHARED

CORPORA = [SHARED / "corpus", SHARED / "corpus-fixtures"]
SUFFIXES = (".yaml", ".yml", ".json", ".template")
PER_FILE_SECONDS = 30


def manifests():
    """(path, resources count from the manifest) for every template of both corpora."""
    rows = []
    for manifest in sorted(p for root in CORPORA for p in root.rglob("MANIFEST.tsv")):
        with open(manifest, encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                rows.append((manifest.parent / row["file"], int(row["resources"])))
    return rows


class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang()


@pytest.mark.skipif(not (SHARED / "corpus").is_dir(), reason="../shared/corpus is not beside the project")
def test_whole_corpus_lints_without_traceback_or_hang():
    rows = manifests()
    assert len(rows) > 6000
    statuses, codes, problems = Counter(), Counter(), []
    previous = signal.signal(signal.SIGALRM, _alarm)
    started = time.monotonic()
    try:
        for path, resources in rows:
            signal.alarm(PER_FILE_SECONDS)
            try:
                result = lint_file(str(path))
            except _Hang:
                problems.append(f"{path}: took more than {PER_FILE_SECONDS} s")
                continue
            finally:
                signal.alarm(0)
            statuses[result.status] += 1
            codes.update(f.code for f in result.findings)
            problems.extend(f"{path}: {e}" for e in result.errors)
            # An unparseable file is a parse error when it looks like a template; otherwise (an empty file)
            # it is skipped, with the reason (issue #17).
            if resources == -1 and result.status != "parse-error" and not (
                    result.status == "skipped" and result.reason
                    and template_marks(path.read_bytes().decode("utf-8", "replace")) is None):
                problems.append(f"{path}: the manifest says unparseable, we said {result.status}")
            if resources > 0 and result.status == "skipped":
                problems.append(f"{path}: has {resources} resources but was skipped as not a template")
            if result.status == "parse-error":
                assert result.findings and result.findings[0].code == "CFN000"
                assert result.findings[0].location.line >= 1
    finally:
        signal.signal(signal.SIGALRM, previous)
    elapsed = time.monotonic() - started
    print(f"\ncorpus: {sum(statuses.values())} files in {elapsed:.1f} s: {dict(statuses)}; findings {dict(codes)}")
    assert not problems, "\n".join(problems[:40])
    assert statuses["linted"] > 6000
