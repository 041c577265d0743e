"""The graph of a DVC pipeline as ``dvc.yaml`` declares it, and ``dvc.lock`` in its order.

A stage runs after every stage that writes one of its dependencies (a file, or a folder
either side). :func:`order` is ``dvc.yaml``'s order with that rule checked (DVC refuses a
cycle too); :func:`restore_order` puts ``dvc.lock``'s stages back in it after stages that ran
side by side recorded themselves as they finished (``lib/course/repro.py``).
"""

from __future__ import annotations

from pathlib import Path

import yaml


def _paths(entries: list | None) -> list[str]:
    """The paths of a stage's ``deps``/``outs``/``metrics``/``plots`` entries (strings or one-key mappings)."""
    return [entry if isinstance(entry, str) else next(iter(entry)) for entry in entries or []]


def _within(path: str, folder: str) -> bool:
    path, folder = path.rstrip("/"), folder.rstrip("/")
    return path == folder or path.startswith(folder + "/")


def upstream(stages: dict[str, dict]) -> dict[str, set[str]]:
    """For each stage, the stages that write one of its dependencies (a file, or a folder either side)."""
    writes = {
        name: _paths(s.get("outs")) + _paths(s.get("metrics")) + _paths(s.get("plots")) for name, s in stages.items()
    }
    return {
        name: {
            other
            for other, outs in writes.items()
            if other != name
            and any(_within(dep, out) or _within(out, dep) for dep in _paths(stage.get("deps")) for out in outs)
        }
        for name, stage in stages.items()
    }


def order(stages: dict[str, dict]) -> list[str]:
    """The stages in ``dvc.yaml``'s order; raise on a cycle (DVC refuses one too)."""
    after = upstream(stages)
    done: list[str] = []
    while len(done) < len(stages):
        ready = [name for name in stages if name not in done and after[name] <= set(done)]
        if not ready:
            raise ValueError(f"dvc.yaml's stages depend on each other in a cycle: {sorted(set(stages) - set(done))}")
        done.append(ready[0])
    return done


def restore_order(root: Path, stages: list[str]) -> bool:
    """Put ``dvc.lock``'s stages in ``stages``' order, as a sequential run writes them; return whether it moved any."""
    lock = root / "dvc.lock"
    if not lock.exists():
        return False
    # DVC's own reader and writer (imported here: the driver itself needs no more of DVC than its command)
    from dvc.utils.serialize import modify_yaml  # noqa: PLC0415  # pylint: disable=import-outside-toplevel

    present = list(yaml.safe_load(lock.read_text(encoding="utf-8")).get("stages") or {})
    wanted = [name for name in stages if name in present] + [name for name in present if name not in stages]
    if present == wanted:
        return False
    with modify_yaml(lock) as data:
        entries = {name: data["stages"].pop(name) for name in present}
        for name in wanted:
            data["stages"][name] = entries[name]
    return True
