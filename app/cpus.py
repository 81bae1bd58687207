"""How many CPUs this process may use: its affinity, capped by a cgroup CPU quota (a
container's ``--cpus``), as the defaults for worker processes and the session cap need."""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")


def affinity_cpus() -> int:
    """CPUs the scheduler may run this process on (all of them where affinity is unknown)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _quota(quota: str, period: str) -> float | None:
    """CPUs a quota of ``quota`` µs per ``period`` µs allows; None when unlimited."""
    if quota in ("max", "-1") or not quota.lstrip("-").isdigit() or not period.isdigit():
        return None
    q, p = int(quota), int(period)
    return q / p if q > 0 and p > 0 else None


def _own_paths(proc_cgroup: Path) -> dict[str, str]:
    """This process's cgroup path per controller (``""`` for the v2 unified hierarchy)."""
    paths: dict[str, str] = {}
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return paths
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(",") if parts[1] else [""]:
                paths[controller] = parts[2]
    return paths


def cgroup_cpu_limit(root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> float | None:
    """The smallest CPU quota on this process's cgroup and its ancestors, in CPUs (cgroup v2
    ``cpu.max``, else v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``); None when unlimited
    or unknown."""
    paths = _own_paths(proc_cgroup)
    limits: list[float] = []
    candidates: list[tuple[Path, str]] = []
    if "" in paths:  # v2: the unified hierarchy, mounted at the root (or at root/unified)
        for base in (root, root / "unified"):
            candidates.append((base, paths[""]))
    if "cpu" in paths:  # v1: the cpu controller's own hierarchy
        for name in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
            candidates.append((root / name, paths["cpu"]))
    for base, own in candidates:
        here = base / own.lstrip("/")
        while True:
            limits.extend(_read_limit(here))
            if here == base or base not in here.parents:
                break
            here = here.parent
    return min(limits) if limits else None


def _read_limit(folder: Path) -> list[float]:
    try:
        if (folder / "cpu.max").is_file():
            quota, _, period = (folder / "cpu.max").read_text().strip().partition(" ")
            value = _quota(quota, period or "100000")
        elif (folder / "cpu.cfs_quota_us").is_file():
            value = _quota(
                (folder / "cpu.cfs_quota_us").read_text().strip(),
                (folder / "cpu.cfs_period_us").read_text().strip(),
            )
        else:
            return []
    except OSError:
        return []
    return [] if value is None else [value]


def usable_cpus(root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> int:
    """Whole CPUs this process may use: its affinity, capped by its cgroup's quota rounded
    up (a quota of 1.5 CPUs keeps 2 processes busy), at least 1."""
    cpus = affinity_cpus()
    limit = cgroup_cpu_limit(root, proc_cgroup)
    if limit is not None:
        cpus = min(cpus, max(1, math.ceil(limit)))
    return cpus
