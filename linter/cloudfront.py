"""CloudFront distribution structure shared by the CloudFront rules."""
from __future__ import annotations

from .values import as_items

DISTRIBUTION = "AWS::CloudFront::Distribution"
DISTRIBUTION_CONFIG = "DistributionConfig"
DEFAULT_BEHAVIOR = f"{DISTRIBUTION_CONFIG}.DefaultCacheBehavior"


def behavior_paths(distribution, ctx) -> list[str]:
    """Property paths of the default cache behavior and of each ``CacheBehaviors`` entry.

    A ``CacheBehaviors`` list that does not resolve is recorded as not evaluated by ``ctx.cases``.
    """
    paths = [DEFAULT_BEHAVIOR] if distribution.has(DEFAULT_BEHAVIOR) else []
    key = f"{DISTRIBUTION_CONFIG}.CacheBehaviors"
    if distribution.has(key):
        for (entries,) in ctx.cases(distribution, distribution.get(key, default=False), convert=as_items):
            paths += [f"{key}.{i}" for i in range(len(entries.value or ()))]
            break
    return paths


def list_paths(resource, path: str, ctx) -> list[str]:
    """``path.0``, ``path.1`` … for a list property, as long as its first resolved scenario."""
    if not resource.has(path):
        return []
    for (entries,) in ctx.cases(resource, resource.get(path, default=False), convert=as_items):
        return [f"{path}.{i}" for i in range(len(entries.value or ()))]
    return []
