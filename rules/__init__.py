"""The rule pack: one module per rule, grouped by service in subpackages; each module's ``@rule`` function registers itself.

Rules read the graph through the public model of :mod:`linter` (resources, edges, values, findings)
and never re-resolve intrinsics themselves.
"""
