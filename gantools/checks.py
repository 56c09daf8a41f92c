"""Argument and value checks shared by every part of the package (the shared floor).

Each raises ``ValueError`` with a message that names the argument and the value it got,
so bad input reads as one clear line (and as one line with exit code 2 from the CLI):

- :func:`check_ints`: integers (not bools) at or above 0 or 1;
- :func:`finite_array`: a float64 array of a given number of dimensions, with no NaN or inf;
- :func:`check_psi`: a truncation psi in [0, 1];
- :class:`OneLineParser`, :func:`positive_int`, :func:`nonnegative_int`: the command line's
  parser (``python -m gantools`` and ``bench/*.py``), whose errors are one line and exit status 2.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

__all__ = ["OneLineParser", "check_ints", "check_psi", "finite_array", "nonnegative_int", "positive_int"]


def check_ints(minimum: int, **values: Any) -> None:
    """ValueError unless every value is an int (not a bool) >= minimum (0 or 1)."""
    kind = "a positive" if minimum == 1 else "a non-negative"
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise ValueError(f"{name} must be {kind} integer, got {v!r}")


def finite_array(x, name: str, ndim: int) -> np.ndarray:
    """``x`` as a float64 array of ``ndim`` dimensions with only finite values, else ValueError."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != ndim:
        shape = {1: "(d,)", 2: "(n, d)"}.get(ndim, f"{ndim}-D")
        raise ValueError(f"{name} must have shape {shape}, got shape {np.shape(x)}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def check_psi(psi) -> float:
    """``psi`` as a float if it is a truncation psi in [0, 1] (not a bool or string), else ValueError."""
    if isinstance(psi, bool) or not (isinstance(psi, (int, float)) and 0.0 <= psi <= 1.0):
        raise ValueError(f"truncation psi must be in [0, 1], got {psi!r}")
    return float(psi)


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _int_at_least(minimum: int):
    """An argparse type: an integer >= ``minimum`` (a one-line error otherwise)."""
    what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            v = minimum - 1
        if v < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return v

    return parse


positive_int, nonnegative_int = _int_at_least(1), _int_at_least(0)
