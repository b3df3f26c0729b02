"""Text → positioned node tree.

YAML goes through PyYAML's libyaml composer (its pure-Python twin for input nested too deeply for native
recursion); the nodes carry line and column marks. JSON goes through the C ``json`` module, then one pass over its
tokens adds the positions; input it rejects (or that breaks a rule of ours: duplicate keys, depth, surrogates) is
read again by a small strict parser of our own, which says what is wrong and where. Both give mappings and
sequences that know the line and column of every key and value.

Anything wrong with the input becomes a :class:`ParseError` with a line and a plain message.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

MAX_DEPTH = 200            # deeper than any real template; keeps recursion far from Python's limit
MAX_NODES = 2_000_000      # after alias expansion; a "billion laughs" file stops here
MAX_BYTES = 50_000_000

# CloudFormation short-form tags and the long form they stand for.
SHORT_TAGS = {
    "!Ref": "Ref", "!Condition": "Condition", "!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub",
    "!Join": "Fn::Join", "!Select": "Fn::Select", "!Split": "Fn::Split", "!If": "Fn::If",
    "!Equals": "Fn::Equals", "!And": "Fn::And", "!Or": "Fn::Or", "!Not": "Fn::Not",
    "!FindInMap": "Fn::FindInMap", "!GetAZs": "Fn::GetAZs", "!Base64": "Fn::Base64",
    "!ImportValue": "Fn::ImportValue", "!Cidr": "Fn::Cidr", "!Transform": "Fn::Transform",
    "!ToJsonString": "Fn::ToJsonString", "!Length": "Fn::Length", "!ForEach": "Fn::ForEach",
    "!Contains": "Fn::Contains", "!EachMemberEquals": "Fn::EachMemberEquals",
    "!EachMemberIn": "Fn::EachMemberIn", "!ValueOf": "Fn::ValueOf", "!ValueOfAll": "Fn::ValueOfAll",
    "!RefAll": "Fn::RefAll",
}


class ParseError(Exception):
    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.message = message
        self.line = max(1, line)
        self.column = max(1, column)


class Mapping(dict):
    """A dict that remembers where it, its keys and its values are (1-based line, column)."""

    __slots__ = ("line", "column", "key_pos", "value_pos")

    def __init__(self, line: int = 0, column: int = 0):
        super().__init__()
        self.line, self.column = line, column
        self.key_pos: dict = {}
        self.value_pos: dict = {}

    def pos(self, key) -> tuple[int, int]:
        return self.key_pos.get(key) or (self.line, self.column)


class Sequence(list):
    __slots__ = ("line", "column", "item_pos")

    def __init__(self, line: int = 0, column: int = 0):
        super().__init__()
        self.line, self.column = line, column
        self.item_pos: list = []

    def pos(self, index: int) -> tuple[int, int]:
        if 0 <= index < len(self.item_pos):
            return self.item_pos[index]
        return (self.line, self.column)


def position(node) -> tuple[int, int]:
    return (getattr(node, "line", 0), getattr(node, "column", 0))


def key_position(node, key) -> tuple[int, int]:
    """Where ``key`` of a mapping was written, for a message: (1, 1) when that is not known."""
    line, col = node.pos(key) if hasattr(node, "pos") else (0, 0)
    return (line, col or 1) if line else (1, 1)


@dataclass
class Document:
    path: str
    text: str
    data: object            # Mapping for a template; anything else otherwise
    is_json: bool


def decode(raw: bytes) -> str:
    """Bytes → text, honouring a BOM; anything that is not UTF-8/16/32 is a parse error."""
    if len(raw) > MAX_BYTES:
        raise ParseError(f"file is larger than {MAX_BYTES // 1_000_000} MB")
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"),
                       (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError as exc:
                raise ParseError(f"not valid {codec.upper()} text: {exc.reason} at byte {exc.start}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ParseError(f"not valid UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start} "
                         "(CloudFormation templates must be UTF-8)", line) from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def parse(text: str, path: str) -> Document:
    """Parse template text. Raises ParseError for anything that is not well-formed YAML or JSON."""
    if not text.strip():
        raise ParseError("file is empty")
    bad = _SURROGATE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise ParseError("text contains a lone UTF-16 surrogate, which is not valid Unicode", line)
    if text.lstrip("\ufeff \t\r\n").startswith(("{", "[")) or path.endswith(".json"):
        try:
            return Document(path, text, parse_json(text), True)
        except ParseError:
            if path.endswith(".json"):
                raise
            # Flow-style YAML that starts with "{" is still YAML.
    return Document(path, text, _parse_yaml(text), False)


# ---------------------------------------------------------------- YAML

_loaders = None


def _loader_classes():
    """PyYAML's libyaml composer, and its pure-Python twin for what the C one cannot take safely.

    Scalars are resolved by :func:`scalar_value` (the YAML core schema CloudFormation uses), not by PyYAML's
    YAML 1.1 resolver, so an untagged plain scalar keeps the marker tag ``?``; explicit tags (``!!str``,
    ``!Ref``) are kept as written.
    """
    global _loaders
    if _loaders is None:
        import yaml

        def resolve(self, kind, value, implicit):
            if kind is yaml.ScalarNode and implicit[0]:
                return "?"
            return yaml.resolver.BaseResolver.resolve(self, kind, value, implicit)

        fast = (type("CompositionLoader", (yaml.CSafeLoader,), {"resolve": resolve})
                if getattr(yaml, "__with_libyaml__", False) else None)
        pure = type("PureCompositionLoader", (yaml.SafeLoader,), {"resolve": resolve})
        _loaders = (fast, pure)
    return _loaders


def _parse_yaml(text: str):
    import yaml

    fast, pure = _loader_classes()
    loader_class = fast if fast is not None and _c_depth_ok(text) else pure
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
    except yaml.composer.ComposerError as exc:
        if "expected a single document" in str(exc):
            mark = exc.problem_mark
            raise ParseError("file holds more than one YAML document; a template is a single document",
                             mark.line + 1 if mark else 1) from None
        raise _syntax_error(exc) from None
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc) from None
    except yaml.YAMLError as exc:
        raise ParseError(f"YAML error: {str(exc).splitlines()[0] if str(exc) else 'malformed YAML'}") from None
    except RecursionError:
        raise ParseError(f"nesting is deeper than {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()
    if node is None:
        raise ParseError("file holds no YAML document")
    if "&" in text:   # aliases need anchors: only then can the tree be bigger than the text
        _check_size(node)
    return _YamlBuilder().build(node)


def _syntax_error(exc) -> ParseError:
    mark = exc.problem_mark or exc.context_mark
    what = " ".join(p for p in (exc.context, exc.problem) if p)
    if "Unicode character escape" in what:
        what = ("a string escapes a character that is not valid Unicode (a lone UTF-16 surrogate or a code "
                "point above U+10FFFF)")
    return ParseError(f"YAML syntax error: {what or 'malformed YAML'}",
                      (mark.line + 1) if mark else 1, (mark.column + 1) if mark else 1)


_DEEP_INDENT = re.compile(r"[ \t?:-]{%d}" % (4 * MAX_DEPTH))


def _c_depth_ok(text: str) -> bool:
    """Whether the C composer can take this text without deep native recursion.

    It recurses without Python's recursion guard: absurdly nested flow collections, or block collections
    nested hundreds of columns deep (``- - - - x``), go to the pure composer, which raises RecursionError
    instead of crashing. Real templates are nowhere near either bound.
    """
    if text.count("[") + text.count("{") >= 20_000 and _max_flow_depth(text) >= MAX_DEPTH:
        return False
    return _DEEP_INDENT.search(text) is None


def _max_flow_depth(text: str) -> int:
    depth = best = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            best = max(best, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
    return best


def _check_size(root) -> None:
    """Reject alias bombs and absurd nesting before anything walks the tree."""
    from yaml.nodes import MappingNode, SequenceNode

    sizes: dict[int, int] = {}
    stack = [(root, 0, False)]
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            raise ParseError(f"nesting is deeper than {MAX_DEPTH} levels", node.start_mark.line + 1)
        key = id(node)
        if key in sizes:
            continue
        if isinstance(node, MappingNode):
            children = [c for pair in node.value for c in pair]
        elif isinstance(node, SequenceNode):
            children = list(node.value)
        else:
            sizes[key] = 1
            continue
        if not done:
            stack.append((node, depth, True))
            stack.extend((c, depth + 1, False) for c in children if id(c) not in sizes)
            continue
        total = 1 + sum(sizes.get(id(c), 1) for c in children)
        if total > MAX_NODES:
            raise ParseError(f"YAML aliases expand to more than {MAX_NODES:,} nodes (an alias bomb?)",
                             node.start_mark.line + 1)
        sizes[key] = total


_INT = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_HEX_OCT = re.compile(r"^[-+]?0(x[0-9a-fA-F_]+|o[0-7_]+)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$")


def scalar_value(text: str, plain: bool, tag: str | None):
    """Resolve a scalar the way CloudFormation reads it (YAML core schema)."""
    if not plain or (tag and tag.startswith("tag:yaml.org,2002:str")):
        return text
    first = text[:1]
    if first.isalpha() and first not in "tTfFnN":
        return text   # most scalars are words: nothing below can match them
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT.match(text):
        return int(text.replace("_", ""))
    if _HEX_OCT.match(text):
        return int(text.replace("_", ""), 0)
    if _FLOAT.match(text) and any(c.isdigit() for c in text):
        return float(text.replace("_", ""))
    if text in (".inf", ".Inf", "+.inf"):
        return float("inf")
    return text


class _YamlBuilder:
    """Composed nodes → Mapping / Sequence / plain values, with positions, short tags in long form."""

    def build(self, root):
        return self._node(root, 0)

    def _node(self, node, depth):
        if depth > MAX_DEPTH:
            raise ParseError(f"nesting is deeper than {MAX_DEPTH} levels", node.start_mark.line + 1)
        kind = node.id
        mark = node.start_mark
        line, col = mark.line + 1, mark.column + 1
        if kind == "scalar":
            value = self._scalar(node, line, col)
        elif kind == "sequence":
            value = Sequence(line, col)
            positions = value.item_pos
            for item in node.value:
                item_mark = item.start_mark
                positions.append((item_mark.line + 1, item_mark.column + 1))
                value.append(self._node(item, depth + 1))
        elif kind == "mapping":
            value = Mapping(line, col)
            key_pos, value_pos = value.key_pos, value.value_pos
            for key_node, value_node in node.value:
                key_mark = key_node.start_mark
                where = (key_mark.line + 1, key_mark.column + 1)
                if key_node.id != "scalar":
                    raise ParseError("a mapping key must be a plain value", *where)
                key = self._scalar(key_node, *where)
                if isinstance(key, Mapping):   # a short-tagged key, e.g. `!Ref X: 1`
                    raise ParseError("a mapping key must be a plain value", *where)
                if not isinstance(key, str):
                    key = str(key)
                if key in value:
                    raise ParseError(f"duplicate key {key!r} (first defined on line {key_pos[key][0]})", *where)
                value_mark = value_node.start_mark
                key_pos[key] = where
                value_pos[key] = (value_mark.line + 1, value_mark.column + 1)
                value[key] = self._node(value_node, depth + 1)
        else:  # pragma: no cover - PyYAML has no other node kinds
            raise ParseError("unsupported YAML node", line, col)
        tag = node.tag
        if tag in SHORT_TAGS and kind != "scalar":
            value = _long_form(tag, value, line, col)
        return value

    @staticmethod
    def _scalar(node, line, col):
        style, text, tag = node.style, node.value, node.tag
        if style == '"' and _SURROGATE.search(text):
            raise ParseError("string escapes a lone UTF-16 surrogate, which is not valid Unicode", line, col)
        value = scalar_value(text, style is None or style == "", tag)
        if tag in SHORT_TAGS:
            value = _long_form(tag, value, line, col)
        return value


def _long_form(tag: str, value, line: int, col: int) -> Mapping:
    name = SHORT_TAGS[tag]
    if name == "Fn::GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        parts = Sequence(line, col)
        parts.extend([resource, attribute])
        parts.item_pos = [(line, col), (line, col)]
        value = parts
    wrapped = Mapping(line, col)
    wrapped[name] = value
    wrapped.key_pos[name] = (line, col)
    wrapped.value_pos[name] = (line, col)
    return wrapped


# ---------------------------------------------------------------- JSON

class _Rejected(Exception):
    """The fast JSON path declines: the strict parser reads the text again and reports why."""


def _json_mapping(pairs) -> "Mapping":
    node = Mapping()
    node.update(pairs)
    if len(node) != len(pairs):
        raise _Rejected("duplicate key")
    return node


def _json_constant(name):
    raise _Rejected(f"{name} is not JSON")


# Every token that starts a value or is a key, and the closing brackets (group 1), after the whitespace, commas
# and colons before it. Only used on text the json module has accepted, so the stream is exact.
_JSON_TOKEN = re.compile(r'[\s,:]*("[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]]|[^\s{}\[\],:"]+)')
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def parse_json(text: str):
    """JSON text → Mapping / Sequence / plain values with positions; ParseError for anything not strict JSON.

    ``parse_json('{"Resources": {}}').key_pos["Resources"]`` → ``(1, 2)``
    """
    body = text.lstrip("\ufeff")
    if _ESCAPED_SURROGATE.search(body):
        return _JsonParser(text).parse()   # it tells a lone surrogate from a pair
    try:
        data = json.loads(body, object_pairs_hook=_json_mapping, parse_constant=_json_constant)
        return _JsonPositions(body).place(data)
    except (ValueError, _Rejected, RecursionError):
        return _JsonParser(text).parse()


class _JsonPositions:
    """Give the tree json.loads built the line and column of every node, walking it in document order along the
    text's tokens; lists become :class:`Sequence`."""

    def __init__(self, text: str):
        # No JSON token spans a line (a raw newline in a string is an error), so tokens are found line by line.
        finditer = _JSON_TOKEN.finditer
        positions = [(number, m.start(1) + 1) for number, line in enumerate(text.split("\n"), 1)
                     for m in finditer(line)]
        self._next = iter(positions).__next__

    def place(self, data):
        return self._node(data, 0)[0]

    def _node(self, value, depth):
        if depth > MAX_DEPTH:
            raise _Rejected("too deep")
        take = self._next
        where = take()
        if isinstance(value, Mapping):
            value.line, value.column = where
            key_pos, value_pos = value.key_pos, value.value_pos
            for key, item in value.items():
                key_pos[key] = take()
                if isinstance(item, (dict, list)):
                    value[key], value_pos[key] = self._node(item, depth + 1)
                else:
                    value_pos[key] = take()
            take()   # }
        elif isinstance(value, list):
            sequence = Sequence(*where)
            positions = sequence.item_pos
            for item in value:
                if isinstance(item, (dict, list)):
                    item, at = self._node(item, depth + 1)
                else:
                    at = take()
                positions.append(at)
                sequence.append(item)
            take()   # ]
            value = sequence
        return value, where


class _JsonParser:
    """A strict JSON parser that records positions and rejects duplicate keys."""

    _WS = re.compile(r"[ \t\r\n]*")
    _NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
    _STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrtu])*"')

    def __init__(self, text: str):
        self.text = text.lstrip("\ufeff")
        self.i = 0
        # Line starts, so a position turns into (line, column) by bisection.
        self.starts = [0] + [m.end() for m in re.finditer("\n", self.text)]

    def where(self, index: int) -> tuple[int, int]:
        import bisect

        line = bisect.bisect_right(self.starts, index) - 1
        return line + 1, index - self.starts[line] + 1

    def fail(self, message: str, index: int | None = None):
        line, col = self.where(self.i if index is None else index)
        raise ParseError(f"JSON syntax error: {message}", line, col)

    def skip(self):
        self.i = self._WS.match(self.text, self.i).end()

    def parse(self):
        self.skip()
        value = self.value(0)
        self.skip()
        if self.i != len(self.text):
            self.fail("unexpected text after the end of the document")
        return value

    def value(self, depth: int):
        if depth > MAX_DEPTH:
            self.fail(f"nesting is deeper than {MAX_DEPTH} levels")
        text, i = self.text, self.i
        if i >= len(text):
            self.fail("unexpected end of file")
        ch = text[i]
        if ch == "{":
            return self.obj(depth)
        if ch == "[":
            return self.arr(depth)
        if ch == '"':
            return self.string()
        m = self._NUMBER.match(text, i)
        if m and m.end() > i:
            self.i = m.end()
            literal = m.group(0)
            try:
                return float(literal) if (m.group(2) or m.group(3)) else int(literal)
            except ValueError:   # more digits than Python converts
                self.fail(f"number {literal[:20]}… has too many digits", i)
        for word, result in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, i):
                self.i += len(word)
                return result
        self.fail(f"unexpected character {ch!r}")

    def string(self) -> str:
        m = self._STRING.match(self.text, self.i)
        if not m:
            self.fail("unterminated or invalid string")
        start, self.i = self.i, m.end()
        try:
            value = json.loads(m.group(0))
        except ValueError as exc:
            self.fail(f"invalid string: {exc.msg}")
        if _SURROGATE.search(value):
            self.fail("string escapes a lone UTF-16 surrogate, which is not valid Unicode", start)
        return value

    def obj(self, depth: int) -> Mapping:
        line, col = self.where(self.i)
        node = Mapping(line, col)
        self.i += 1
        self.skip()
        if self.text.startswith("}", self.i):
            self.i += 1
            return node
        while True:
            self.skip()
            if not self.text.startswith('"', self.i):
                self.fail("expected a quoted key")
            key_at = self.i
            key = self.string()
            if key in node:
                first = node.key_pos[key][0]
                self.fail(f"duplicate key {key!r} (first defined on line {first})", key_at)
            self.skip()
            if not self.text.startswith(":", self.i):
                self.fail("expected ':' after a key")
            self.i += 1
            self.skip()
            value_at = self.i
            node[key] = self.value(depth + 1)
            node.key_pos[key] = self.where(key_at)
            node.value_pos[key] = self.where(value_at)
            self.skip()
            if self.text.startswith(",", self.i):
                self.i += 1
                continue
            if self.text.startswith("}", self.i):
                self.i += 1
                return node
            self.fail("expected ',' or '}'")

    def arr(self, depth: int) -> Sequence:
        line, col = self.where(self.i)
        node = Sequence(line, col)
        self.i += 1
        self.skip()
        if self.text.startswith("]", self.i):
            self.i += 1
            return node
        while True:
            self.skip()
            node.item_pos.append(self.where(self.i))
            node.append(self.value(depth + 1))
            self.skip()
            if self.text.startswith(",", self.i):
                self.i += 1
                continue
            if self.text.startswith("]", self.i):
                self.i += 1
                return node
            self.fail("expected ',' or ']'")


def is_template(data) -> bool:
    """A CloudFormation template has AWSTemplateFormatVersion, or Resources whose values have a Type."""
    if not isinstance(data, dict):
        return False
    if "AWSTemplateFormatVersion" in data:
        return True
    resources = data.get("Resources")
    return isinstance(resources, dict) and any(
        isinstance(r, dict) and "Type" in r for r in resources.values())
