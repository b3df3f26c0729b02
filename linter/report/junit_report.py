"""JUnit XML for CI systems that show test reports (GitLab, Jenkins, Azure DevOps).

One ``<testsuite>`` per file (named by its path) and, in it, one ``<testcase>`` per rule that ran
(``classname`` = path, ``name`` = ``CODE rule-name``). A rule with findings in the file has one
``<failure>`` whose ``message`` is the first finding and whose text lists them all. A file that cannot be
read as a template has a ``CFN000`` testcase with an ``<error>``; a YAML/JSON file that is not a template
is a suite with one skipped testcase.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from . import Report


def _text(finding) -> str:
    loc = finding.location
    where = f"{loc.path}:{loc.line}:{loc.column}"
    resource = f" ({loc.logical_id})" if loc.logical_id else ""
    return f"{where}: {finding.code} [{finding.severity.label}] {finding.message}{resource}"


def _clean(text: str) -> str:
    # XML 1.0 cannot carry most control characters, even escaped.
    return "".join(c for c in text if c in "\t\n\r" or ord(c) >= 0x20)


def render(report: Report) -> str:
    from ..engine import PARSE_CODE, PARSE_NAME

    shown = {id(f) for f in report.findings}
    root = ET.Element("testsuites", name="cfn-arch-lint")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for result in report.results:
        suite = ET.SubElement(root, "testsuite", name=_clean(result.path))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        findings = [f for f in result.findings if id(f) in shown]
        if result.status in ("parse-error", "unreadable"):
            case = ET.SubElement(suite, "testcase", classname=_clean(result.path), name=f"{PARSE_CODE} {PARSE_NAME}")
            counts["tests"] += 1
            parse = [f for f in result.findings if f.code == PARSE_CODE]
            if parse:
                err = ET.SubElement(case, "error", message=_clean(parse[0].message), type=PARSE_CODE)
                err.text = _clean("\n".join(_text(f) for f in parse))
                counts["errors"] += 1
        elif result.status == "skipped":
            case = ET.SubElement(suite, "testcase", classname=_clean(result.path), name="not a CloudFormation template")
            ET.SubElement(case, "skipped", message="YAML or JSON that is not a CloudFormation template")
            counts["tests"] += 1
            counts["skipped"] += 1
        else:
            for rule in sorted(report.rules, key=lambda r: r.code):
                case = ET.SubElement(suite, "testcase", classname=_clean(result.path), name=f"{rule.code} {rule.name}")
                counts["tests"] += 1
                mine = [f for f in findings if f.code == rule.code]
                if mine:
                    worst = max(f.severity for f in mine)
                    fail = ET.SubElement(case, "failure", message=_clean(mine[0].message), type=worst.label)
                    fail.text = _clean("\n".join(_text(f) for f in mine))
                    counts["failures"] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
