"""Repository-relative paths for reporters that are read by CI systems (SARIF, GitHub annotations).

The root is, in order: the git work tree that holds the current directory (found by walking up to a
``.git`` entry, no subprocess), ``GITHUB_WORKSPACE``, then the current directory. A path under none of them
stays absolute. Paths that already carry a URI scheme (``stack://region/name`` from ``audit``) are left
as they are.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def has_scheme(path: str) -> bool:
    return bool(_SCHEME.match(path))


def git_root(start: str | None = None) -> str | None:
    directory = os.path.realpath(start or os.getcwd())
    while True:
        if os.path.exists(os.path.join(directory, ".git")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


@lru_cache(maxsize=8)
def _roots(cwd: str, workspace: str | None, prefer_workspace: bool) -> tuple[str, ...]:
    roots = []
    git = git_root(cwd)
    ws = os.path.realpath(workspace) if workspace else None
    ordered = [ws, git] if prefer_workspace else [git, ws]
    for root in ordered + [os.path.realpath(cwd)]:
        if root and root not in roots:
            roots.append(root)
    return tuple(roots)


def relative(path: str, *, prefer_workspace: bool = False) -> tuple[str, str | None]:
    """(POSIX path relative to the first root that contains it, that root) or (absolute path, None)."""
    if has_scheme(path) or path in ("-", "<stdin>"):
        return path, None
    absolute = os.path.realpath(os.path.abspath(path))
    for root in _roots(os.getcwd(), os.environ.get("GITHUB_WORKSPACE") or None, prefer_workspace):
        try:
            rel = os.path.relpath(absolute, root)
        except ValueError:  # another drive on Windows
            continue
        if rel != os.pardir and not rel.startswith(os.pardir + os.sep):
            return rel.replace(os.sep, "/"), root
    return absolute.replace(os.sep, "/"), None


def file_uri(directory: str) -> str:
    from pathlib import Path

    uri = Path(directory).as_uri()
    return uri if uri.endswith("/") else uri + "/"
