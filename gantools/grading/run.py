"""The cells a submission runs, and running them in a worker process (:mod:`gantools.grading.worker`)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ..exercises.registry import Chapter, Exercise, check_module
from .read import layout

_PROBE = Path(__file__).with_name("probe.py")
_COLLECT = Path(__file__).parents[1] / "exercises" / "collect.py"


def _grader_cell(function: str, **kwargs) -> str:
    call = json.dumps({"function": function, "kwargs": kwargs})
    return (f"exec(compile({_PROBE.read_text()!r}, '<gantools grader>', 'exec'), "
            f"{{'__name__': '__gantools_grader__', 'USER_NS': globals(), 'CALL': __import__('json').loads({call!r})}})")


def spec_of(e: Exercise):
    """The :class:`~gantools.exercises.protocol.Spec` of an exercise, from this process's gantools."""
    import gantools.exercises as ex

    return getattr(ex, e.check).spec


def plan_cells(nb, chapter: Chapter, cases: dict[str, list]):
    """The cells to run (sources): the baseline, the student's code cells, and each exercise's probe
    at its place. Returns them with {submission cell: run cell}, {exercise: run cell of its probe},
    {exercise: its submission code cells}."""
    at, region = layout(nb, chapter)
    collect_source = _COLLECT.read_text()
    cells, index, probe_at = [_grader_cell("baseline")], {}, {}
    for i in range(len(nb.cells) + 1):
        for e in chapter.exercises:
            if at[e.number] == i:
                spec = spec_of(e)
                probe_at[e.number] = len(cells)
                cells.append(_grader_cell("probe", exercise=e.number, check=e.check, module=check_module(e.check),
                                          answer=e.answers[0], cases=cases[e.number], forbid=list(spec.forbid),
                                          call=spec.call, collect_source=collect_source))
        if i < len(nb.cells) and nb.cells[i].cell_type == "code" and nb.cells[i].source.strip():
            index[i] = len(cells)
            cells.append(nb.cells[i].source)
    return cells, index, probe_at, region


# -- running, in a worker --------------------------------------------------------------------------
@dataclass
class Limits:
    """What one submission may use: seconds per cell, memory and file size per process (MB)."""

    timeout: int = 600
    memory_mb: int = 8192
    file_mb: int = 1024


def run_cells(nb, path: Path, cells: list[str], grader_cells: list[int], limits: Limits, kernel_name: str) -> dict:
    """Run the cells in a worker (:mod:`gantools.grading.worker`); its verified report, or
    ``{"failure": why}``."""
    from .worker import descendants, kill_tree, sign

    token = secrets.token_hex(32)
    runs = path.resolve().parent / "runs"
    budget = limits.timeout * (len(cells) + 2) + 180
    job = {"token": token, "name": path.name if path.suffix == ".ipynb" else "submission.ipynb",
           "notebook": nbformat.writes(nb), "cells": cells, "grader_cells": grader_cells, "timeout": limits.timeout,
           "kernel_name": kernel_name, "memory_mb": limits.memory_mb, "file_mb": limits.file_mb,
           "cpu_s": 4 * budget, "runs": str(runs) if runs.is_dir() else None}
    with tempfile.TemporaryFile() as out:
        worker = subprocess.Popen([sys.executable, "-I", str(Path(__file__).with_name("worker.py"))], stdin=subprocess.PIPE,
                                  stdout=out, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            worker.communicate(json.dumps(job).encode(), timeout=budget)
        except subprocess.TimeoutExpired:
            for pid in descendants(worker.pid):
                kill_tree(pid)
            worker.kill()
            worker.wait()
            return {"failure": f"the notebook ran longer than its {budget} s budget"}
        out.seek(0, os.SEEK_END)
        out.seek(max(0, out.tell() - 64 * 2**20))
        lines = out.read().decode("utf-8", "replace").splitlines()
    for line in reversed(lines):
        mac, _, body = line.partition(" ")
        if len(mac) == 64 and secrets.compare_digest(mac, sign(token, body)):
            return json.loads(body)
    return {"failure": f"the worker did not report (exit status {worker.returncode})"}


def cell_report(run: dict, cell: int) -> tuple[dict | None, str]:
    """The one report of a grader cell, parsed: (dict, "") or (None, what is wrong with it)."""
    texts = run.get("reports", {}).get(str(cell), [])
    if not texts:
        return None, ""
    if len(texts) > 1:
        return None, f"the cell published {len(texts)} reports of the grader's type: the notebook published its own"
    try:
        report = json.loads(texts[0])
    except ValueError:
        return None, "the grader's report is not JSON"
    return (report, "") if type(report) is dict else (None, "the grader's report is not an object")
