"""The code that ``gantools.grading`` runs inside the student's kernel.

Not imported by gantools: the grader reads this file's source and executes it, in a fresh
namespace, in cells it adds to the submission. Nothing here decides a grade; it reports
data, and the grader judges it in its own process.

- A ``baseline`` cell runs first, before any of the student's code: it imports
  ``gantools.exercises`` and reports where gantools was imported from, the versions, the
  threads already running, and a fingerprint of every attribute of the gantools modules
  (functions, classes, the modules they use, and the exercise modules' constants).
- A ``probe`` cell runs at the end of each exercise: it reports the fingerprints again, what
  the notebook's name ``check_...`` is bound to, the threads the notebook started that are
  still running, and the answer's outputs on the cases the grader chose, computed by the
  source of :mod:`gantools.exercises.collect` that the grader sends (so rebinding that module
  in the notebook changes nothing).

Reports travel as one JSON string of the type :data:`MIME` in display data; the grader takes
exactly one per grader cell and validates every field's type.
"""

import hashlib
import json
import sys
import threading
import types

MIME = "application/vnd.gantools.grade+json"
_SIMPLE = (int, float, complex, str, bytes, bool, type(None))
_MISSING = object()
_LIBRARY_THREADS = ("tqdm", "IPython", "ipykernel", "jupyter_client", "zmq", "matplotlib", "torch", "concurrent",
                    "asyncio", "threading", "ipywidgets", "comm")


def _code(code, h) -> None:
    h.update(code.co_code)
    h.update(repr(code.co_names).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _code(const, h)
        else:
            h.update(repr(const).encode())


def _function(f, h) -> None:
    _code(f.__code__, h)
    h.update(repr(f.__defaults__).encode())
    h.update(repr(f.__kwdefaults__).encode())
    for cell in f.__closure__ or ():
        try:
            h.update(repr(cell.cell_contents).encode())
        except ValueError:  # an empty cell
            pass


def _simple(value) -> bool:
    if isinstance(value, _SIMPLE):
        return True
    if isinstance(value, (tuple, list, frozenset, set)):
        return all(_simple(v) for v in value)
    if isinstance(value, dict):
        return all(_simple(k) and _simple(v) for k, v in value.items())
    return False


def digest(obj, constants: bool = True):
    """A short fingerprint of a module attribute, stable within one process; None for
    attributes that are not watched (constants when ``constants`` is False)."""
    h = hashlib.sha256()
    if isinstance(obj, types.ModuleType):  # a module the code uses: rebinding it to a fake one is tampering
        return "m" + str(getattr(obj, "__name__", "?")) + hex(id(obj))
    if isinstance(obj, types.FunctionType):
        _function(obj, h)
        return "f" + h.hexdigest()[:16]
    if isinstance(obj, type):
        h.update(repr([b.__qualname__ for b in obj.__mro__]).encode())
        for name, member in sorted(vars(obj).items()):
            for f in (member, getattr(member, "__func__", None), getattr(member, "fget", None),
                      getattr(member, "fset", None)):
                if isinstance(f, types.FunctionType):
                    h.update(name.encode())
                    _function(f, h)
        return "c" + h.hexdigest()[:16]
    if not constants:
        return None
    if type(obj).__module__ == "numpy" and hasattr(obj, "tobytes"):
        h.update(repr((obj.shape, str(obj.dtype))).encode())
        h.update(obj.tobytes())
        return "a" + h.hexdigest()[:16]
    if _simple(obj):
        h.update(repr(obj).encode())
        return "v" + h.hexdigest()[:16]
    return "o" + type(obj).__qualname__ + hex(id(obj))


def fingerprints(names) -> dict:
    """{module: {attribute: fingerprint}} for the modules ``names`` as ``sys.modules`` holds
    them now. Everything of ``gantools.exercises`` is watched; of the other gantools modules
    the functions, classes and modules (a notebook may change a plotting colour)."""
    out = {}
    for name in names:
        mod = sys.modules.get(name)
        if mod is None:
            out[name] = None
            continue
        constants = name == "gantools.exercises" or name.startswith("gantools.exercises.")
        entries = {"<module>": hex(id(mod))}
        for attr, value in list(vars(mod).items()):
            if attr.startswith("__"):
                continue
            d = digest(value, constants)
            if d is not None:
                entries[attr] = d
        out[name] = entries
    return out


def _threads() -> list:
    """The running Python threads other than this one and the libraries' own, as idents."""
    library = {t.ident for t in threading.enumerate()
               if type(t) is not threading.Thread and (type(t).__module__ or "").split(".")[0] in _LIBRARY_THREADS}
    return sorted(i for i in sys._current_frames() if i != threading.get_ident() and i not in library)


def _publish(payload) -> None:
    from IPython.display import publish_display_data

    publish_display_data({MIME: json.dumps(payload, allow_nan=True, default=repr)})


def _gantools_modules() -> list:
    return sorted(n for n in sys.modules if n == "gantools" or n.startswith("gantools."))


def baseline() -> None:
    """Import the checks before any of the student's code runs, and report the environment."""
    import gantools
    import gantools.exercises  # noqa: F401

    versions = {}
    for name in ("numpy", "torch", "scipy"):
        versions[name] = getattr(sys.modules.get(name), "__version__", None)
    _publish({"kind": "baseline", "file": getattr(gantools, "__file__", None),
              "version": getattr(gantools, "__version__", None), "versions": versions,
              "threads": _threads(), "fingerprints": fingerprints(_gantools_modules())})


def probe(exercise: str, check: str, module: str, answer: str, cases: list, forbid: list, call: bool,
          collect_source: str) -> None:
    """Evaluate the notebook's ``answer`` on ``cases`` with the grader's copy of the collecting code
    and the check module's ``build``/``finish``, and report its plain outputs."""
    ns = globals()["USER_NS"]  # the notebook's namespace, given by the cell that runs this source
    payload = {"kind": "probe", "exercise": exercise, "threads": _threads(),
               "fingerprints": fingerprints(_gantools_modules())}
    bound = ns.get(check, _MISSING)
    payload["bound"] = None if bound is _MISSING else (digest(bound) or repr(bound))
    try:
        spec = getattr(sys.modules[module], check).spec
        home = vars(sys.modules[module])
        extra = tuple(v for k, v in sorted(home.items()) if k.endswith("_reference") and callable(v))
        runner = {"__name__": "__gantools_collect__"}
        exec(compile(collect_source, "<gantools collect>", "exec"), runner)
        value = ns.get(answer, _MISSING)
        if value is _MISSING:
            payload["collected"] = {"not attempted": f"{answer} is not defined"}
        else:
            payload["collected"] = runner["collect"](value, cases, spec.build, spec.finish, tuple(forbid), extra,
                                                     call)
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: B036 - the grader reports it; SystemExit included
        payload["failure"] = f"{type(e).__name__}: {e}"[:500]
    _publish(payload)


if "CALL" in globals():  # run by the grader's cell; importing this module does nothing
    _call = globals()["CALL"]
    {"baseline": baseline, "probe": probe}[_call["function"]](**_call["kwargs"])
