"""Helpers for the drawing tests: a parser for the Mermaid subset ``linter.draw.mermaid`` writes, headless
Chromium, a PNG reader, and a generated template of a given size."""
from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
import zlib

import pytest

# ---------------------------------------------------------------- Mermaid, the subset we write

_IDENT = r"[A-Za-z0-9_]+"
_LABEL = r'"([^"]*)"'
_HEADER = re.compile(r"flowchart (LR|TD|TB|RL|BT)")
_SUBGRAPH = re.compile(rf"subgraph ({_IDENT})\[{_LABEL}\]")
_NODE = re.compile(rf"({_IDENT})\[{_LABEL}\](?::::({_IDENT}))?")
_LINK = re.compile(rf"({_IDENT}) (-->|-\.->)\|([^|\"]+)\| ({_IDENT})")
_CLASSDEF = re.compile(rf"classDef ({_IDENT}) ([a-z-]+:[^,\s]+(?: [^,\s]+)*(?:,[a-z-]+:[^,\s]+(?: [^,\s]+)*)*)")
_CLASS = re.compile(rf"class ({_IDENT}(?:,{_IDENT})*) ({_IDENT})")
_ENTITY = re.compile(r"#(quot|lt|gt|35);")
_KEYWORDS = {"end", "subgraph", "graph", "flowchart", "style", "classdef", "class", "click", "linkstyle", "call",
             "href", "default", "direction"}


class MermaidError(ValueError):
    pass


def parse_mermaid(text: str) -> dict:
    """Parse a flowchart in the subset used; raise MermaidError on anything else.

    Returns {"direction", "nodes": {id: [label lines]}, "links": [(a, arrow, label, b)], "groups": {id: label},
    "node_groups": {node id: innermost subgraph id}, "classes": {class: set(ids)}, "class_defs": {class: style}}. Checks: every line is one of the forms, a
    label has no raw quote or angle bracket other than ``<br/>``, subgraphs close, links and ``class`` name
    declared nodes, every class used is defined, no node is declared twice, no node id is a keyword.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("%%")]
    if not lines or not _HEADER.fullmatch(lines[0]):
        raise MermaidError(f"first line must be 'flowchart DIR', got {lines[:1]}")
    out = {"direction": lines[0].split()[1], "nodes": {}, "links": [], "groups": {}, "node_groups": {},
           "classes": {}, "class_defs": {}}
    open_groups: list[str] = []
    for number, line in enumerate(lines[1:], start=2):
        if match := _SUBGRAPH.fullmatch(line):
            out["groups"][match.group(1)] = _label(match.group(2), number)[0]
            open_groups.append(match.group(1))
        elif line == "end":
            if not open_groups:
                raise MermaidError(f"line {number}: 'end' without subgraph")
            open_groups.pop()
        elif match := _LINK.fullmatch(line):
            out["links"].append((match.group(1), match.group(2), match.group(3), match.group(4)))
        elif match := _CLASSDEF.fullmatch(line):
            out["class_defs"][match.group(1)] = match.group(2)
        elif match := _CLASS.fullmatch(line):
            out["classes"].setdefault(match.group(2), set()).update(match.group(1).split(","))
        elif match := _NODE.fullmatch(line):
            if match.group(1).lower() in _KEYWORDS:
                raise MermaidError(f"line {number}: node id {match.group(1)!r} is a Mermaid keyword")
            if match.group(1) in out["nodes"]:
                raise MermaidError(f"line {number}: node {match.group(1)} declared twice")
            out["nodes"][match.group(1)] = _label(match.group(2), number)
            if open_groups:
                out["node_groups"][match.group(1)] = open_groups[-1]
            if match.group(3):
                out["classes"].setdefault(match.group(3), set()).add(match.group(1))
        else:
            raise MermaidError(f"line {number}: not in the subset: {line!r}")
    if open_groups:
        raise MermaidError("a subgraph is not closed")
    for a, _arrow, _label_text, b in out["links"]:
        for end in (a, b):
            if end not in out["nodes"]:
                raise MermaidError(f"link names undeclared node {end}")
    for name, members in out["classes"].items():
        if name not in out["class_defs"]:
            raise MermaidError(f"class {name} is used but not defined")
        if members - set(out["nodes"]):
            raise MermaidError(f"class {name} names undeclared nodes {sorted(members - set(out['nodes']))}")
    return out


def _label(text: str, number: int) -> list[str]:
    parts = text.split("<br/>")
    for part in parts:
        if re.search(r"[<>\"]", part):
            raise MermaidError(f"line {number}: raw markup in label {part!r}")
        if re.search(r"#(?!(quot|lt|gt|35);)", part):
            raise MermaidError(f"line {number}: bare # in label {part!r}")
    return [_ENTITY.sub(lambda m: {"quot": '"', "lt": "<", "gt": ">", "35": "#"}[m.group(1)], p) for p in parts]


# ---------------------------------------------------------------- tools

def tool_or_skip(*names: str, package: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(f"{names[0]} is not installed (Debian: apt-get install -y {package}; .ci/run installs it)")


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]


def chromium(url: str, *extra: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run headless Chromium once on ``url`` with a fresh profile."""
    program = tool_or_skip("chromium", "chromium-browser", "google-chrome", package="chromium")
    with tempfile.TemporaryDirectory(prefix="cfn-arch-lint-chromium-") as profile:
        return subprocess.run([program, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, url],
                              capture_output=True, timeout=timeout, check=False)


def read_png(path) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit non-interlaced PNG, as Chromium writes."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, bit_depth, colour_type, _c, _f, interlace = header
    assert bit_depth == 8 and interlace == 0 and colour_type in (2, 6), header
    channels = 4 if colour_type == 6 else 3
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = previous[x]
            c = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, [bytes(r) if channels == 3 else bytes(v for i, v in enumerate(r) if i % 4 != 3)
                           for r in rows]


# ---------------------------------------------------------------- a big template

def service_template(services: int) -> str:
    """A SAM template of ``services`` × 5 resources: queue, DLQ, worker (SAM SQS event), DLQ alarm, table.
    Each queue has the default visibility timeout under a 60 s worker (SQS001), so every service has
    findings."""
    out = ['AWSTemplateFormatVersion: "2010-09-09"', "Transform: AWS::Serverless-2016-10-31",
           "Globals:", "  Function:", "    Runtime: python3.12", "    Timeout: 60", "Resources:"]
    for i in range(services):
        out += [f"  Queue{i}:", "    Type: AWS::SQS::Queue", "    Properties:", "      RedrivePolicy:",
                f"        deadLetterTargetArn: !GetAtt Dlq{i}.Arn", "        maxReceiveCount: 5",
                f"  Dlq{i}:", "    Type: AWS::SQS::Queue",
                f"  Worker{i}:", "    Type: AWS::Serverless::Function", "    Properties:",
                "      Handler: app.handle", "      CodeUri: src/", "      Environment:", "        Variables:",
                f"          TABLE: !Ref Table{i}", "      Events:", "        Jobs:", "          Type: SQS",
                f"          Properties: {{Queue: !GetAtt Queue{i}.Arn}}",
                f"  Dlq{i}Depth:", "    Type: AWS::CloudWatch::Alarm", "    Properties:",
                "      Namespace: AWS/SQS", "      MetricName: ApproximateNumberOfMessagesVisible",
                f"      Dimensions: [{{Name: QueueName, Value: !GetAtt Dlq{i}.QueueName}}]",
                "      Statistic: Maximum", "      Period: 60", "      EvaluationPeriods: 1", "      Threshold: 0",
                "      ComparisonOperator: GreaterThanThreshold",
                f"  Table{i}:", "    Type: AWS::DynamoDB::Table", "    Properties:",
                "      BillingMode: PAY_PER_REQUEST",
                "      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]",
                "      KeySchema: [{AttributeName: id, KeyType: HASH}]"]
    return "\n".join(out) + "\n"
