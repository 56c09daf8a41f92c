"""Argument and value checks shared by every part of the package (the shared floor).

Each raises ``ValueError`` with a message that names the argument and the value it got,
so bad input reads as one clear line (and as one line with exit code 2 from the CLI):

- :func:`check_ints`: integers (not bools) at or above 0 or 1;
- :func:`finite_array`: a float64 array of a given number of dimensions, with no NaN or inf.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["check_ints", "finite_array"]


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
