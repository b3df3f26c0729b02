"""One repository root and one spelling of every path, for fingerprints, baselines and CI reporters.

:func:`repository_root` finds the root, in order: the git work tree around the working directory (found by
walking up to a ``.git`` entry, no subprocess), ``GITHUB_WORKSPACE``, the folder of the config file (the one
named, else the one discovery finds), then the working directory. :func:`repository_path` turns any spelling
of a path (``./x``, ``x``, absolute, a run from a subfolder) into the POSIX path relative to that root, so a
baseline entry or a SARIF fingerprint is the same however the path was given. Paths that carry a URI scheme
(``stack://region/name`` from ``audit``) and standard input (``<stdin>``) are left as they are.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
STDIN_NAMES = ("-", "<stdin>")


def has_scheme(path: str) -> bool:
    return bool(_SCHEME.match(path))


def git_root(start: str | None = None) -> str | None:
    """The nearest folder at or above ``start`` (default: the working directory) holding ``.git``."""
    directory = os.path.realpath(start or os.getcwd())
    while True:
        if os.path.exists(os.path.join(directory, ".git")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _root(cwd: str, workspace: str | None, config_path: str | None) -> str:
    git = git_root(cwd)
    if git:
        return git
    if workspace and os.path.isdir(workspace):
        return os.path.realpath(workspace)
    if config_path is None:
        from ..config import find

        config_path = find(cwd)
    if config_path:
        return os.path.dirname(os.path.realpath(config_path))
    return os.path.realpath(cwd)


def repository_root(config_path: str | None = None) -> str:
    """The folder every reported path is relative to: the git top level, else ``GITHUB_WORKSPACE``, else the
    folder of ``config_path`` (default: the config file discovery finds), else the working directory.

    ``repository_root()`` → ``"/home/me/project"``
    """
    return _root(os.getcwd(), os.environ.get("GITHUB_WORKSPACE") or None, config_path)


@lru_cache(maxsize=4096)
def _relative_to(absolute: str, root: str) -> tuple[str, bool]:
    absolute = os.path.realpath(absolute)
    try:
        rel = os.path.relpath(absolute, root)
    except ValueError:  # another drive on Windows
        return absolute.replace(os.sep, "/"), False
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return absolute.replace(os.sep, "/"), False
    return rel.replace(os.sep, "/"), True


def repository_path(path: str, root: str | None = None) -> str:
    """``path`` however spelled, as the POSIX path relative to ``root`` (default :func:`repository_root`).

    A file outside the root keeps its absolute POSIX path; ``<stdin>`` and ``stack://…`` stay as they are.
    ``repository_path("./infra/../infra/x.yaml")`` → ``"infra/x.yaml"``
    """
    if has_scheme(path):
        return path
    if path in STDIN_NAMES:
        return "<stdin>"
    return _relative_to(os.path.abspath(path), root or repository_root())[0]


def relative(path: str, *, prefer_workspace: bool = False) -> tuple[str, str | None]:
    """(POSIX path relative to the root, that root), or (absolute path, None) for a path outside it.

    ``prefer_workspace`` (GitHub annotations) takes ``GITHUB_WORKSPACE`` as the root when it is set, since
    annotations are resolved against the checkout.
    """
    if has_scheme(path) or path in STDIN_NAMES:
        return path, None
    workspace = os.environ.get("GITHUB_WORKSPACE")
    root = os.path.realpath(workspace) if prefer_workspace and workspace else repository_root()
    rel, inside = _relative_to(os.path.abspath(path), root)
    return (rel, root) if inside else (rel, None)


def file_uri(directory: str) -> str:
    from pathlib import Path

    uri = Path(directory).as_uri()
    return uri if uri.endswith("/") else uri + "/"
