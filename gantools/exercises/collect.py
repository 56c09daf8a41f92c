"""The student's half of a check: run the answer on given cases and hand back plain data.

A check has two halves (:mod:`gantools.exercises.protocol`). This one runs where the
student's code runs: it calls the answer on each case, under a tripwire against the book's
reference routines, and converts what comes back to plain data (JSON numbers, strings, lists
and dicts) *while the tripwire is still active*, so that a lazy object cannot call a
reference after the tripwire is lifted. The other half, the verdict, runs elsewhere: in the
grader's own process when a class is graded, so nothing the student's code can reach
decides a pass.

This module imports only the standard library at the top (NumPy and torch when a value needs
them): the grader sends its source text into the student's kernel and runs it there in a
fresh namespace, so that rebinding ``gantools.exercises.collect`` in a notebook changes
nothing the grader uses.
"""

from __future__ import annotations

import importlib
import json
import sys
import threading
import types
from contextlib import contextmanager

MAX_ITEMS = 1_000_000  # numbers in one answer's output: more is not an answer to any exercise


class ReferenceCalled(BaseException):
    """Raised by a forbidden reference routine called from a student's answer.

    A BaseException, like KeyboardInterrupt, so that a broad ``except Exception`` in the
    answer does not swallow it."""


class NotPlain(TypeError):
    """A value that is not a number, a string, an array or a list, tuple or dict of them."""


# -- plain data -----------------------------------------------------------------------------------
def plain(value, _depth: int = 0):
    """``value`` as plain JSON data, accepting only exact types: ``bool``, ``int``, ``float``,
    ``complex`` (as ``{"re": x, "im": y}``), ``str``, ``None``, NumPy scalars and arrays of
    numbers, torch tensors, and lists, tuples and dicts (string keys) of these. A subclass of
    ``str``, ``int`` or ``float`` (which could compare equal to anything) raises
    :class:`NotPlain`, as does any other object."""
    if _depth > 20:
        raise NotPlain("nested more than 20 levels deep")
    t = type(value)
    if value is None or t is bool or t is str:
        return value
    if t is int:
        return value if abs(value) < 2**53 else float(value)
    if t is float:
        return value
    if t is complex:
        return {"re": value.real, "im": value.imag}
    if t in (list, tuple):
        if len(value) > MAX_ITEMS:
            raise NotPlain(f"a {t.__name__} of {len(value)} items")
        return [plain(v, _depth + 1) for v in value]
    if t is dict:
        if any(type(k) is not str for k in value):
            raise NotPlain("a dict whose keys are not all strings")
        return {k: plain(v, _depth + 1) for k, v in value.items()}
    module = getattr(t, "__module__", "") or ""
    if module == "numpy" or module.startswith("numpy."):
        return _numpy(value)
    if module == "torch" or module.startswith("torch."):
        import torch

        if t is torch.Tensor or t is torch.nn.Parameter:
            return _numpy(value.detach().cpu().resolve_conj().resolve_neg().numpy())
    raise NotPlain(f"a {t.__module__}.{t.__qualname__}" if module not in ("builtins", "") else f"a {t.__name__}")


def _numpy(value):
    import numpy as np

    if type(value) is not np.ndarray and not isinstance(value, np.generic):
        raise NotPlain(f"a {type(value).__qualname__} (a subclass of a NumPy type)")
    arr = np.asarray(value)
    if arr.size > MAX_ITEMS:
        raise NotPlain(f"an array of {arr.size} numbers")
    kind = arr.dtype.kind
    if kind == "b":
        return arr.tolist()
    if kind in "iuf":
        return arr.astype(float).tolist() if kind == "f" else arr.astype(int).tolist()
    if kind == "c":
        c = arr.astype(complex)
        return {"re": c.real.tolist(), "im": c.imag.tolist()}
    if kind == "U":
        return arr.tolist()
    raise NotPlain(f"an array of dtype {arr.dtype}")


def unplain(value):
    """The inverse of :func:`plain` for complex numbers: ``{"re", "im"}`` dicts become Python
    complex numbers (or NumPy complex arrays); everything else is returned as is."""
    if type(value) is dict and set(value) == {"re", "im"}:
        re, im = value["re"], value["im"]
        if type(re) in (int, float) and type(im) in (int, float):
            return complex(re, im)
        import numpy as np

        try:
            return np.asarray(re, dtype=float) + 1j * np.asarray(im, dtype=float)
        except (TypeError, ValueError):
            return value
    if type(value) is list:
        return [unplain(v) for v in value]
    if type(value) is dict:
        return {k: unplain(v) for k, v in value.items()}
    return value


# -- the tripwire ---------------------------------------------------------------------------------
def resolve(path: str):
    """(owner, attribute name, object) for a dotted path such as ``"gantools.metrics.mode_coverage"``
    or ``"torch.Tensor.backward"``; None when its module is not installed."""
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for name in parts[i:-1]:
                owner = getattr(owner, name)
            return owner, parts[-1], getattr(owner, parts[-1])
        except AttributeError:
            return None
    return None


def _codes(obj, out: set, depth: int = 0) -> None:
    """The code objects a forbidden object runs: a function's, a wrapped function's, every method
    of a class, and their nested code."""
    if depth > 3:
        return
    if isinstance(obj, types.FunctionType):
        _code_tree(obj.__code__, out)
    elif isinstance(obj, types.MethodType):
        _codes(obj.__func__, out, depth + 1)
    elif isinstance(obj, type):
        for member in vars(obj).values():
            for f in (member, getattr(member, "__func__", None), getattr(member, "fget", None)):
                if isinstance(f, types.FunctionType):
                    _code_tree(f.__code__, out)
    for attr in ("__wrapped__", "_implementation", "__func__"):
        inner = getattr(obj, attr, None)
        if inner is not None and inner is not obj:
            _codes(inner, out, depth + 1)


def _code_tree(code: types.CodeType, out: set) -> None:
    out.add(code)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _code_tree(const, out)


def signature(code: types.CodeType) -> tuple:
    """What a copy of a function shares with the original: its bytecode, names and constants
    (not its name, file or line), so that ``FunctionType(ref.__code__, ...)``, ``ref.__code__.replace(...)``
    and a pasted copy of the source are recognised."""
    consts = tuple(signature(c) if isinstance(c, types.CodeType) else repr(c) for c in code.co_consts)
    return code.co_code, code.co_names, consts


def _namespaces(fn) -> list[dict]:
    """The global namespaces a student's function looks names up in (its module's, usually
    the notebook's); for a callable object, that of its ``__call__``."""
    found = []
    for f in (fn, vars(type(fn)).get("__call__")):
        g = getattr(f, "__globals__", None)
        if isinstance(g, dict) and all(g is not h for h in found):
            found.append(g)
    return found


@contextmanager
def forbidding(fn, paths, extra=()):
    """While the block runs, the reference routines named in ``paths`` (dotted) and the objects in
    ``extra`` are forbidden. Yields the list of those that were called (filled even when the
    answer swallows the exception). Two wires:

    - by name: every binding of a forbidden object, in every loaded module (its home module, a
      module that imported it, the check's own module), in ``fn``'s global namespace, defaults
      and closure, is replaced by a function that raises :class:`ReferenceCalled`;
    - by code: a profiler, in this thread and in any thread started meanwhile, notes a call of a
      forbidden routine however it was reached (a reference kept in a list, a partial, a bound
      method) and of any function whose code is a copy of a forbidden function's code.

    Everything is restored afterwards. A profiler the answer removes or replaces counts as a
    forbidden call. What it cannot see: a reimplementation written out by hand."""
    called: list[str] = []
    targets = []
    for path in paths:
        found = resolve(path)
        if found is not None:
            targets.append((path, found[2]))
    targets += [(f"{getattr(o, '__module__', '?')}.{getattr(o, '__qualname__', repr(o))}", o) for o in extra]
    by_id = {id(obj): path for path, obj in targets}
    codes: set = set()
    for _, obj in targets:
        _codes(obj, codes)
    code_path = {}
    for path, obj in targets:
        local: set = set()
        _codes(obj, local)
        for c in local:
            code_path.setdefault(c, path)
    # copies are recognised by the signature of a whole forbidden function, not of its nested parts (a
    # student's comprehension may well be written like one inside a reference)
    sigs = {signature(c): code_path[c] for c in codes if not c.co_name.startswith("<")}
    undo: list[tuple] = []

    seen: dict = {}

    def profile(frame, event, arg):
        if event == "call":
            code = frame.f_code
            path = seen.get(code, False)
            if path is False:
                path = seen[code] = code_path.get(code) or sigs.get(signature(code))
            if path and path not in called:
                called.append(path)
        elif event == "c_call" and id(arg) in by_id and by_id[id(arg)] not in called:
            called.append(by_id[id(arg)])

    trips = {}
    for path, original in targets:

        def trip(*args, _path=path, **kwargs):
            called.append(_path)
            raise ReferenceCalled(_path)

        trips[id(original)] = (trip, original)
        if fn is original or getattr(fn, "func", None) is original:  # the reference itself, or a partial of it
            called.append(path)
    try:
        spaces = [(m, getattr(m, "__dict__", None)) for m in list(sys.modules.values())]
        spaces += [(None, ns) for ns in _namespaces(fn)]
        for module, space in spaces:  # one pass over every loaded module: the home module and each alias
            if not isinstance(space, dict):
                continue
            for key, value in list(space.items()):
                hit = trips.get(id(value))
                if hit is None or hit[1] is not value:
                    continue
                try:
                    if module is None:
                        space[key] = hit[0]
                        undo.append((dict.__setitem__, space, key, value))
                    else:
                        setattr(module, key, hit[0])
                        undo.append((setattr, module, key, value))
                except (AttributeError, TypeError):
                    pass
        for path, original in targets:
            owner = resolve(path)
            if owner is not None and isinstance(owner[0], type):  # a method: its class
                try:
                    setattr(owner[0], owner[1], trips[id(original)][0])
                    undo.append((setattr, owner[0], owner[1], original))
                except (AttributeError, TypeError):
                    pass
            defaults = getattr(fn, "__defaults__", None)
            if defaults and any(d is original for d in defaults):
                fn.__defaults__ = tuple(trips[id(original)][0] if d is original else d for d in defaults)
                undo.append((setattr, fn, "__defaults__", defaults))
            for cell in getattr(fn, "__closure__", None) or ():
                try:
                    if cell.cell_contents is original:
                        cell.cell_contents = trips[id(original)][0]
                        undo.append((setattr, cell, "cell_contents", original))
                except ValueError:  # an empty cell
                    pass
        saved = sys.getprofile(), threading.getprofile() if hasattr(threading, "getprofile") else None
        sys.setprofile(profile)
        threading.setprofile(profile)
        try:
            yield called
        finally:
            if sys.getprofile() is not profile:
                called.append("sys.setprofile (the answer removed the check's profiler)")
            sys.setprofile(saved[0])
            threading.setprofile(saved[1])
    finally:
        for restore, owner, name, original in reversed(undo):
            restore(owner, name, original)


# -- running an answer ----------------------------------------------------------------------------
def _error(e: BaseException) -> str:
    text = str(e)
    text = text if len(text) <= 300 else text[:300] + "..."
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def collect(answer, cases, build=None, finish=None, forbid=(), extra=(), call=True) -> dict:
    """Run ``answer`` on each case and return plain data: ``{"outputs": [...]}``, one entry per
    case, ``{"value": ...}`` or ``{"error": "..."}``, or ``{"not attempted": "..."}`` when the
    answer is missing or still the starter code (it raises NotImplementedError).

    ``call`` False: the answer is a value (a number, a prediction), not a function; one case.
    ``build(case)`` makes the arguments of one call (default: the case's items), ``finish(output,
    args)`` what is handed back (default: the output itself). The calls, ``finish`` and the
    conversion to plain data all run under one tripwire (:func:`forbidding`) on ``forbid`` and
    ``extra``; a call of a forbidden routine makes that case's entry
    ``{"error": ..., "called": path}``. A BaseException the answer raises (SystemExit included)
    is that case's error; only KeyboardInterrupt, the grader's timeout, propagates."""
    if answer is None:
        return {"not attempted": "the answer is None (the starter code)"}
    if not call:
        if callable(answer) and not isinstance(answer, (str, int, float, complex)):
            return {"outputs": [{"error": "the answer is a function; this exercise asks for a value"}]}
        cases, build, finish = [None], None, None
    elif not callable(answer):
        return {"outputs": [{"error": f"the answer is a {type(answer).__name__}, not a function"}] * len(cases)}
    outputs = []
    with forbidding(answer if call else None, forbid, extra) as called:
        for case in cases:
            before = len(called)
            try:
                if call:
                    args = build(case) if build else tuple(case if isinstance(case, (list, tuple)) else (case,))
                    output = answer(*args)
                    value = finish(output, args) if finish else output
                else:
                    value = answer
                entry = {"value": plain(value)}
                json.dumps(entry, allow_nan=True)  # anything left that JSON cannot carry fails here
            except NotImplementedError as e:
                return {"not attempted": _error(e)}
            except KeyboardInterrupt:
                raise
            except NotPlain as e:
                entry = {"error": f"the answer gave {e}, not numbers (or a string where one is asked for)"}
            except BaseException as e:  # noqa: B036 - SystemExit, GeneratorExit, ReferenceCalled: a student's error
                entry = {"error": f"your function raised {_error(e)}"}
            if len(called) > before or (called and not outputs):
                entry = {"error": f"your function calls {called[-1]}, the reference this check compares with "
                                  "(or a routine that does the exercise in one call): write the computation "
                                  "yourself", "called": called[-1]}
            outputs.append(entry)
    return {"outputs": outputs}
