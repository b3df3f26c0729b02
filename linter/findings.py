"""Findings: what a rule reports, where, and a fingerprint that survives edits."""
from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass, field


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, name: str) -> "Severity":
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {name!r}; use error, warning or info") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Location:
    """A place in a template. Lines and columns are 1-based; 0 means "unknown"."""

    path: str
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    logical_id: str | None = None
    # JSON-path-like address inside the template, e.g. "Resources/Queue/Properties/VisibilityTimeout".
    pointer: str = ""
    # Free text that explains this place when it is shown as a related location.
    note: str = ""


@dataclass
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    logical_ids: tuple[str, ...] = ()
    related: list[Location] = field(default_factory=list)
    # Optional discriminator so one rule can report several distinct problems on the same resources.
    check: str = ""
    # Set by suppress/baseline handling: why this finding is hidden, if it is.
    suppressed_by: str | None = None

    @property
    def fingerprint(self) -> str:
        """Stable identity: rule, file, logical ids and the sub-check, never line numbers or values.

        The file is its path relative to the repository root (:func:`linter.report.paths.repository_path`),
        so ``./infra/x.yaml``, ``infra/x.yaml``, an absolute path or a run from a subfolder agree.
        """
        from .report.paths import repository_path

        return self.fingerprint_for(repository_path(self.location.path))

    def fingerprint_for(self, path: str) -> str:
        """The fingerprint with ``path`` standing for the file (a baseline written before paths were made
        repository-relative stored the path as it was given)."""
        parts = [self.code, path.replace("\\", "/"), ",".join(sorted(self.logical_ids)),
                 self.check, _stable(self.location.pointer)]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]

    def sort_key(self):
        return (self.location.path, self.location.line, self.location.column, self.code, self.message)


_INDEX = re.compile(r"/\d+(?=/|$)")


def _stable(pointer: str) -> str:
    # List positions move when items are added; keep only the named part of the path.
    return _INDEX.sub("", pointer)


@dataclass(frozen=True)
class NotEvaluated:
    """A rule could not judge a subject because a value it needs is unknown."""

    code: str
    name: str
    location: Location
    reason: str
