"""The code that ``gantools.grading`` runs inside the student's kernel.

Not imported by gantools: the grader reads this file's source and executes it, in a fresh
namespace, in cells it adds to the submission. A ``baseline`` cell runs first, before any of
the student's code: it imports ``gantools.exercises`` and publishes a fingerprint of every
function, class and (for the exercise modules) constant of the gantools modules loaded. A
``probe`` cell runs at the end of each exercise: it publishes the fingerprints again, the
fingerprint of whatever the notebook's name ``check_...`` is bound to, and the verdict of
the book's check applied to the student's answers. The grader compares the fingerprints
outside the kernel. Results travel as display data of the type :data:`MIME`, not as printed
text, so that printing ``PASS`` fakes nothing.

The cell that runs this source defines ``USER_NS`` (the notebook's namespace) and ``CALL``
(which function to run, with its arguments).
"""

import hashlib
import json
import sys
import types

MIME = "application/vnd.gantools.grade+json"
_SIMPLE = (int, float, complex, str, bytes, bool, type(None))
_MISSING = object()


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
    attributes that are not watched (modules, and constants when ``constants`` is False)."""
    h = hashlib.sha256()
    if isinstance(obj, types.ModuleType):
        return None
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
    only the functions and classes (a notebook may change a plotting colour)."""
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


def _publish(payload) -> None:
    from IPython.display import publish_display_data

    publish_display_data({MIME: json.loads(json.dumps(payload, default=repr))})


def baseline() -> None:
    """Import the checks before any of the student's code runs, and publish their fingerprints."""
    import gantools
    import gantools.exercises  # noqa: F401

    _publish({"kind": "baseline", "file": getattr(gantools, "__file__", None),
              "version": getattr(gantools, "__version__", None), "fingerprints": fingerprints(_gantools_modules())})


def _gantools_modules() -> list:
    return sorted(n for n in sys.modules if n == "gantools" or n.startswith("gantools."))


def probe(exercise: str, check: str, module: str, args: list) -> None:
    """Apply the book's check ``module.check`` to the answers named ``args`` in the notebook's
    namespace, and publish its verdict with the current fingerprints."""
    ns = globals()["USER_NS"]  # the notebook's namespace, given by the cell that runs this source
    payload = {"kind": "probe", "exercise": exercise, "fingerprints": fingerprints(_gantools_modules())}
    bound = ns.get(check, _MISSING)
    payload["bound"] = None if bound is _MISSING else (digest(bound) or repr(bound))
    fn = getattr(sys.modules.get(module), check, None)
    missing = [a for a in args if a not in ns]
    if not callable(fn):
        payload.update(verdict="error", message=f"{module}.{check} is missing")
    elif missing:
        payload.update(verdict="not attempted", message=f"{', '.join(missing)} is not defined")
    else:
        try:
            result = fn(*[ns[a] for a in args], quiet=True)
        except NotImplementedError as e:
            payload.update(verdict="not attempted", message=f"NOT ATTEMPTED: {e}")
        except Exception as e:  # the check itself failed on this answer
            payload.update(verdict="error", message=f"the check raised {type(e).__name__}: {e}")
        else:
            passed = getattr(result, "passed", None)
            if passed is True or passed is False:
                word = "PASS" if passed else "FAIL"
                payload.update(verdict="pass" if passed else "fail", message=f"{word}: {result.message}")
            else:
                payload.update(verdict="error", message=f"the check returned {result!r}, not a verdict")
    _publish(payload)


if "CALL" in globals():  # run by the grader's cell; importing this module does nothing
    _call = globals()["CALL"]
    {"baseline": baseline, "probe": probe}[_call["function"]](**_call["kwargs"])
