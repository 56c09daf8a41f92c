"""Run one submission, isolated, and hand its reports back to the grader.

Run as a script (``python -I worker.py``), so that the worker imports neither gantools nor torch.

The grader (:mod:`gantools.grading`) starts one worker per submission and writes a job to its
standard input: the cells to run, the limits, and a secret. The worker

1. makes the process a *child subreaper* (Linux), so that every process the kernel starts,
   even one that detaches with ``setsid`` or double-forks, stays its descendant;
2. creates an empty private working directory holding a copy of the notebook (and of the
   ``runs/`` folder the chapter reads, when the job names one), a fresh home, IPython and
   matplotlib directory and temporary folder;
3. starts a kernel there in its own session, with ``PYTHONSAFEPATH=1`` and no user site, its
   output streams closed, and limits on its address space, file size and CPU time;
4. runs the cells, each within the time limit, keeping only the grader cells' reports (the
   student's printed output is counted, never stored, so printing 100 MB costs nothing);
5. kills the kernel's session and every remaining descendant, removes the directory, and only
   then writes its result, signed with the job's secret, to standard output.

A forged result (a kernel writing to the worker's output through ``/proc``) lacks the signature
and is ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIME = "application/vnd.gantools.grade+json"
TIMEOUT_ENAME = "GraderTimeout"
MAX_REPORT = 2_000_000  # bytes of one grader cell's report
_KEEP_ENV = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH",
             "CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "GANTOOLS_DATA", "GANTOOLS_FULL_STEPS",
             "SYSTEMROOT")


def become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (from /proc; empty where there is none)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(pid: int, group: int | None = None) -> None:
    """SIGKILL a process group and every descendant of ``pid``, and reap them, until none is left
    (a subreaper adopts the orphans of killed parents, so a second sweep finds them)."""
    if group is not None:
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    for _ in range(20):
        left = descendants(pid)
        if not left:
            break
        for p in left:
            try:
                os.kill(p, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.05)
        _reap()
    _reap()


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _environment(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in _KEEP_ENV or k.startswith("LC_")}
    for name in ("home", "ipython", "tmp", "mpl", "jupyter", "cache"):
        (root / name).mkdir()
    env.update(HOME=str(root / "home"), IPYTHONDIR=str(root / "ipython"), TMPDIR=str(root / "tmp"),
               MPLCONFIGDIR=str(root / "mpl"), JUPYTER_CONFIG_DIR=str(root / "jupyter"),
               XDG_CACHE_HOME=str(root / "cache"), XDG_CONFIG_HOME=str(root / "home"), PYTHONSAFEPATH="1",
               PYTHONNOUSERSITE="1", PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
    return env


def _limits(memory_mb: int, cpu_s: int, file_mb: int):
    def apply() -> None:
        import resource

        for which, value in ((resource.RLIMIT_AS, memory_mb * 2**20), (resource.RLIMIT_CPU, cpu_s),
                             (resource.RLIMIT_FSIZE, file_mb * 2**20)):
            try:
                resource.setrlimit(which, (value, value))
            except (ValueError, OSError):
                pass

    return apply if os.name == "posix" else None


def run(job: dict) -> dict:
    """Run the job's cells in an isolated kernel: {"errors", "reports", "stuck_at", "died_at", "printed"}."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    root = Path(tempfile.mkdtemp(prefix="gantools-grade-"))
    os.chmod(root, 0o700)
    work = root / "work"
    work.mkdir()
    (work / job["name"]).write_text(job["notebook"], encoding="utf-8")
    if job.get("runs") and Path(job["runs"]).is_dir():
        shutil.copytree(job["runs"], work / "runs", symlinks=False, ignore_dangling_symlinks=True)
    env = _environment(root)
    timeout = job["timeout"]
    out = {"errors": {}, "reports": {}, "stuck_at": None, "died_at": None, "printed": 0}
    grader_cells = set(job["grader_cells"])

    class Client(NotebookClient):
        def output(self, outs, msg, display_id, cell_index):  # keep grader reports only, count the rest
            content = msg.get("content", {})
            data = content.get("data", {}) if msg.get("msg_type") == "display_data" else {}
            if cell_index in grader_cells and MIME in data and type(data[MIME]) is str \
                    and len(data[MIME]) <= MAX_REPORT:
                out["reports"].setdefault(cell_index, []).append(data[MIME])
            else:
                out["printed"] += len(json.dumps(content, default=str))
            return None

    def on_cell_executed(cell, cell_index, execute_reply):
        content = execute_reply.get("content", {})
        if content.get("status") == "error":
            out["errors"][cell_index] = (str(content.get("ename", "Error"))[:200], str(content.get("evalue", ""))[:300])

    cells = [nbformat.v4.new_code_cell(source) for source in job["cells"]]
    nb = nbformat.v4.new_notebook(cells=cells)
    client = Client(
        nb, timeout=timeout, timeout_func=lambda cell: max(timeout, 120) if cell is cells[0] else timeout,
        kernel_name=job["kernel_name"], allow_errors=True, interrupt_on_timeout=True,
        error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": f"the cell ran longer than {timeout} s", "traceback": []},
        shutdown_kernel="immediate", resources={"metadata": {"path": str(work)}}, on_cell_executed=on_cell_executed)
    group = None
    try:
        with client.setup_kernel(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_limits(job["memory_mb"], job["cpu_s"], job["file_mb"])):
            group = getattr(getattr(client.km, "provisioner", None), "pgid", None)
            for i, cell in enumerate(list(nb.cells)):
                try:
                    client.execute_cell(cell, i)
                    if out["errors"].get(i, ("",))[0] == TIMEOUT_ENAME and not _responds(client, out, timeout):
                        out["stuck_at"] = i
                        break
                except DeadKernelError:
                    out["died_at"] = i
                    break
    except Exception as e:  # the kernel could not start or talk: every exercise is an error
        out["failure"] = f"{type(e).__name__}: {e}"[:500]
    finally:
        kill_tree(os.getpid(), group)
        shutil.rmtree(root, ignore_errors=True)
    return out


def _responds(client, out: dict, timeout: int) -> bool:
    """After an interrupted cell: does the kernel run a trivial cell within a few seconds?"""
    import nbformat

    saved, cells = client.timeout, client.nb.cells
    client.timeout = max(1, min(timeout, 10))
    cells.append(nbformat.v4.new_code_cell("pass"))  # nbclient stores the cell at its index: give it one
    try:
        client.execute_cell(cells[-1], len(cells) - 1)
    finally:
        client.timeout = saved
        cells.pop()
    return out["errors"].pop(len(cells), ("",))[0] != TIMEOUT_ENAME


def sign(token: str, body: str) -> str:
    return hmac.new(token.encode(), body.encode(), hashlib.sha256).hexdigest()


def main() -> int:
    job = json.loads(sys.stdin.read())
    token = job.pop("token")
    become_subreaper()
    result = run(job)
    body = json.dumps(result)
    sys.stdout.write(f"\n{sign(token, body)} {body}\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
