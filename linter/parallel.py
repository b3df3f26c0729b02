"""Linting many files on every core: the unit of work is a *group* of files.

A group is a list of paths that are linted together, in one process, in order. :func:`group_files` makes
every file its own group; ``check`` uses the groups :func:`linter.stacks.group_templates` forms (templates that
refer to each other through exports, SSM names or nested stacks are analysed together) and
:func:`linter.stacks.lint_group` to lint one; :func:`lint_groups` shares the groups among processes whatever
the grouping.

Results come back in the order of the groups and of the files inside each, whatever the number of
processes, so a report is the same with ``-j 1`` and ``-j 8``.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Callable, Sequence

# Fewer files than this are linted in the calling process: starting workers costs more than they save.
PARALLEL_MIN_FILES = 8
# Progress is shown on a terminal only once a run has lasted this long (seconds).
PROGRESS_AFTER = 2.0


def group_files(files: Sequence[str]) -> list[list[str]]:
    """The groups of files to lint together; today one group per file, in the given order.

    ``group_files(["a.yaml", "b.yaml"])`` → ``[["a.yaml"], ["b.yaml"]]``
    """
    return [[path] for path in files]


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def default_jobs(file_count: int) -> int:
    """Processes for a run of ``file_count`` files: every core when there are more than a handful, else 1."""
    return available_cores() if file_count >= PARALLEL_MIN_FILES else 1


def lint_group(paths: Sequence[str], **lint_options) -> list:
    """Lint a group of files each on its own, in this process: one :class:`linter.api.FileResult` per path, in
    order. ``lint_options`` are those of :func:`linter.api.lint_file` (``parameters``, ``rules`` …)."""
    from .api import lint_file

    return [lint_file(path, **lint_options) for path in paths]


def _lint_one_group(paths, lint, after, lint_options) -> list:
    results = (lint or lint_group)(paths, **lint_options)
    if after is not None:
        after(results)
    return results


def lint_groups(groups: Sequence[Sequence[str]], *, jobs: int | None = None,
                progress: Callable[[int, int], None] | None = None, lint: Callable | None = None,
                after: Callable | None = None, **lint_options) -> list:
    """Lint groups of files with ``jobs`` processes (None: :func:`default_jobs`); the FileResults of every
    group, flattened, in the order of ``groups``.

    ``lint(paths, **lint_options)`` lints one group (default :func:`lint_group`); ``after(results)`` is called
    on a group's results in the process that linted it, while the whole templates are at hand (both must be
    picklable where workers are spawned, not forked). ``progress(done, total)`` is called after each group
    with counts of files. Standard input (``-``) is read by this process. A worker process that dies (it should
    not) costs the files it had not finished: each gets an internal-error finding (CFN999), never a silent pass.

    ``lint_groups(group_files(files), jobs=2, rules=rules)``
    """
    groups = [list(g) for g in groups]
    total = sum(len(g) for g in groups)
    if jobs is None or jobs < 1:
        jobs = default_jobs(total)
    jobs = min(jobs, max(1, len(groups)))
    outcomes: list[list | None] = [None] * len(groups)
    done = 0

    def finished(index: int, results: list) -> None:
        nonlocal done
        outcomes[index] = results
        done += len(groups[index])
        if progress is not None:
            progress(done, total)

    local = [i for i, g in enumerate(groups) if jobs == 1 or "-" in g]
    for index in local:
        finished(index, _lint_one_group(groups[index], lint, after, lint_options))
    remote = [i for i in range(len(groups)) if outcomes[i] is None]
    if remote:
        _run_in_processes(groups, remote, jobs, (lint, after, lint_options), finished)
    return [result for results in outcomes for result in results]


def _run_in_processes(groups, indexes, jobs, work, finished) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    # fork: the workers start at once with the rules already imported; elsewhere the platform's default.
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else None)
    # Largest groups first, so one big template does not start last and hold up the end of the run.
    order = sorted(indexes, key=lambda i: -_group_size(groups[i]))
    pending = set(indexes)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_worker,
                             initargs=(work,)) as pool:
        futures = {pool.submit(_lint_group_in_worker, groups[i]): i for i in order}
        try:
            for future in as_completed(futures):
                index = futures[future]
                try:
                    results = future.result()
                except BrokenProcessPool:
                    raise
                except Exception as exc:   # a result that could not come back: say so for each file
                    results = [_worker_died(path, exc, "its result could not be sent back from the worker process")
                               for path in groups[index]]
                finished(index, results)
                pending.discard(index)
        except BrokenProcessPool as exc:
            for index in sorted(pending):
                finished(index, [_worker_died(path, exc) for path in groups[index]])


def _group_size(paths) -> int:
    size = 0
    for path in paths:
        try:
            size += os.path.getsize(path)
        except OSError:
            pass
    return size


_WORK: list = []   # (lint, after, lint_options) in a worker process


def _init_worker(work) -> None:
    _WORK[:] = [work]


def _lint_group_in_worker(paths) -> list:
    lint, after, lint_options = _WORK[0]
    results = _lint_one_group(paths, lint, after, lint_options)
    for result in results:
        result.template = suppression_skeleton(result.template)
        result.graph = None   # drawings need the graph: a run that draws lints in one process
    return results


def suppression_skeleton(template):
    """The parts of a parsed template the steps after linting read (suppressions in ``Metadata``, where each
    resource starts, the declared ``Parameters``), with their positions; sending a whole positioned tree back from a worker would cost
    about as much as parsing it again.

    ``suppression_skeleton(template)["Resources"].pos("Queue")`` is still the queue's line and column.
    """
    from .load import Mapping

    if not isinstance(template, dict):
        return template
    skeleton = _shell(template, Mapping)
    for section in ("Metadata", "Parameters"):   # suppressions; the parameters the run was given a value for
        if section in template:
            skeleton[section] = template[section]
    resources = template.get("Resources")
    if isinstance(resources, dict):
        slim = _shell(resources, Mapping)
        for logical_id, body in resources.items():
            if isinstance(body, dict):
                slim[logical_id] = _shell(body, Mapping)
                if "Metadata" in body:
                    slim[logical_id]["Metadata"] = body["Metadata"]
            else:
                slim[logical_id] = body if not isinstance(body, list) else []
        skeleton["Resources"] = slim
    return skeleton


def _shell(node, mapping_class):
    """An empty mapping with the positions of ``node`` (a plain dict when ``node`` has none)."""
    if not hasattr(node, "key_pos"):
        return {}
    shell = mapping_class(node.line, node.column)
    shell.key_pos = dict(node.key_pos)
    shell.value_pos = dict(node.value_pos)
    return shell


def _worker_died(path: str, exc: BaseException, what: str = "the worker process linting it ended abruptly"):
    from .api import FileResult
    from .engine import internal_error_finding

    result = FileResult(path, "linted")
    result.findings.append(internal_error_finding(path, f"the file ({what})", exc))
    result.errors.append(f"{path}: internal error: {what} ({exc!r})")
    return result


class Progress:
    """``cfn-arch-lint: 1200/2707 files`` on standard error, rewritten in place, when standard error is a
    terminal and the run has lasted :data:`PROGRESS_AFTER` seconds; :meth:`close` clears the line."""

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.monotonic()
        self.shown = False
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.started < PROGRESS_AFTER or (now - self.last < 0.1 and done < total):
            return
        self.last = now
        self.shown = True
        self.stream.write(f"\rcfn-arch-lint: {done}/{total} files")
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()

