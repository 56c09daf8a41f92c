"""Self-describing checkpoints, written atomically and read without unpickling code.

A checkpoint is a plain ``dict`` of tensors, numbers, strings, lists and dicts, so
``torch.load(path, weights_only=True)`` reads it: a file that carries anything else (a
pickled object whose loading would run code) is refused, and nothing in it executes.

Writes go to a temporary file in the same directory, are flushed to disk, and then
``os.replace`` it over the old one: a crash (or SIGKILL) mid-write leaves the previous
checkpoint intact, never a truncated one.
"""

from __future__ import annotations

import os
import pickle
import random
import tempfile

import numpy as np
import torch

FORMAT = "gantools-checkpoint/1"


def _publish(tmp: str, path: str, mode: int | None = None) -> None:
    """Give ``tmp`` the usual permissions (mkstemp makes it 0600), or ``mode``, and move it over
    ``path`` (a symlink at ``path`` is replaced, never followed)."""
    if mode is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def atomic_write(path: str, write, binary: bool = True, suffix: str = "", mode: int | None = None) -> None:
    """Call ``write(f)`` on a temporary file beside ``path``, flush it to disk, then move it over
    ``path``: a crash or an error mid-write leaves the previous file (and no temporary) behind.
    ``mode``: the file's permissions (default: 0666 less the umask)."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=directory)
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        _publish(tmp, path, mode)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def atomic_save(obj, path: str) -> None:
    """``torch.save(obj, path)`` that never leaves a partial file at ``path``."""
    atomic_write(path, lambda f: torch.save(obj, f), suffix=".pt")


def atomic_write_text(text: str, path: str) -> None:
    """Write a text file atomically (temporary file + ``os.replace``)."""
    atomic_write(path, lambda f: f.write(text), binary=False)


def atomic_savez(path: str, **arrays) -> None:
    """``np.savez_compressed(path, **arrays)`` that never leaves a partial file at ``path``."""
    atomic_write(path, lambda f: np.savez_compressed(f, **arrays), suffix=".npz")


def safe_load(path: str, map_location="cpu") -> dict:
    """Load a checkpoint with ``weights_only=True``; a clear ``ValueError`` otherwise.

    Refuses (without executing anything) files that need arbitrary unpickling, and
    reports missing or corrupt files in one line.
    """
    if not os.path.isfile(path):
        raise ValueError(f"no checkpoint at {path}")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise ValueError(f"refusing to load {path}: it is not a plain-tensor checkpoint "
                         f"(weights_only=True rejected it: {first[:160]})") from None
    except (RuntimeError, EOFError, OSError) as e:
        raise ValueError(f"cannot read checkpoint {path}: {str(e).splitlines()[0][:160]}") from None


def rng_state() -> dict:
    """Every global RNG state (Python, NumPy, torch CPU and CUDA) as plain tensors and lists."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = {
        "python": [list(random.getstate()[1]), random.getstate()[0], random.getstate()[2]],
        "numpy": {"keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached": float(cached)},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore what :func:`rng_state` saved."""
    internal, version, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    n = state["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])
