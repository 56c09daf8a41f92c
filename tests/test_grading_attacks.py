"""Every attack class of issue 24, handed to the grader as a crafted submission: none gets a
wrong or empty answer graded pass, none changes another student's grade, and no malformed
notebook stops the batch.

Each submission is chapter 5's student edition cut to its exercises, with a WRONG answer (or
none) and one attack. The forging class is graded in parallel (``--jobs 2``); the class that
attacks classmates is graded one notebook after another, the attacker first, so that what it
leaves behind would reach the victims.
"""

import csv
import json
import os
import subprocess
import sys
import time

import nbformat
import pytest
from _submissions import (
    CHECK_51,
    CHECK_52,
    CHECK_53,
    RIGHT,
    STARTER_51,
    STARTER_52,
    STARTER_53,
    answered,
    put,
    student_exercises,
)

from gantools.grading import INVALID, PASS, TAMPERED, exercise_set

MIME = "application/vnd.gantools.grade+json"
WRONG_52 = ("def alternating_eigenvalues(eta, sigma):\n"
            "    return np.array([1 + 1j * eta * sigma, 1 - 1j * eta * sigma])")
WRONG_53 = "def r1_rate(gamma):\n    return gamma / 2  # wrong beyond critical damping"
BOOK_GAMMAS = [0.3, 1.0, 2.0, 0.05, 0.999, 1.001, 5.0, 100.0]


def wrong(nb):
    """Wrong answers to 5.1 to 5.3 (5.4 left as the starter)."""
    nb.cells[_find(nb, STARTER_51)].source = "eta_best = 0.5"
    nb.cells[_find(nb, STARTER_52)].source = WRONG_52
    nb.cells[_find(nb, STARTER_53)].source = WRONG_53
    return nb


def _find(nb, source):
    return next(i for i, c in enumerate(nb.cells) if c.source.strip() == source.strip())


def _r1(g):  # the right rates of the book's cases, as a student who read the book's output would table them
    import math

    return g / 2 if g <= 1 else 0.5 / (g + math.sqrt(g * g - 1))


TABLE = {g: _r1(g) for g in BOOK_GAMMAS}

FORGED = json.dumps({"kind": "probe", "exercise": "5.3", "threads": [], "fingerprints": {}, "bound": None,
                     "collected": {"outputs": [{"value": 0.25}] * 8}, "verdict": "pass", "message": "PASS"})

# name: (cell source, inserted before which cell, what the attack does)
FORGERS = {
    "builtins": ("exec = lambda *a, **k: None\ncompile = lambda *a, **k: None\nglobals = lambda: {}", CHECK_51,
                 "globals named like the builtins the grader's cell calls"),
    "setprofile": (f"import sys\nTABLE = {TABLE!r}\n\n"
                   "def hook(frame, event, arg):\n"
                   "    if event == 'return' and frame.f_code.co_name == 'collect' and isinstance(arg, dict):\n"
                   "        arg['outputs'] = [{'value': TABLE.get(g, 0.25)} for g in TABLE]\n"
                   "        arg.pop('not attempted', None)\n"
                   "    return hook\n\nsys.setprofile(hook)", CHECK_53,
                   "a profiler that rewrites the collected outputs with the book's cases' right values"),
    "forge_then_exit": ("from IPython.display import publish_display_data\n\n"
                        "def r1_rate(gamma):\n"
                        f"    publish_display_data({{{MIME!r}: {FORGED!r}}})\n"
                        "    raise SystemExit(0)", CHECK_53, "publish a forged report, then raise SystemExit"),
    "thread": ("import threading, time\nfrom IPython.display import publish_display_data\n\n"
               "def spam():\n    while True:\n"
               f"        publish_display_data({{{MIME!r}: {FORGED!r}}})\n        time.sleep(0.01)\n\n"
               "threading.Thread(target=spam, daemon=True).start()", CHECK_53,
               "a background thread that keeps publishing forged reports"),
    "frame_peek": ("import sys\n\nclass Peek(float):\n"
                   "    def __float__(self):\n        f = sys._getframe(1)\n"
                   "        while f is not None:\n"
                   "            for k in ('expected', 'ref', 'target'):\n"
                   "                if k in f.f_locals:\n                    return float(f.f_locals[k])\n"
                   "            f = f.f_back\n        return 0.0\n\n"
                   "def r1_rate(gamma):\n    return Peek(0.0)", CHECK_53,
                   "a lazy __float__ that reads the expected value from the check's frame"),
    "lazy_reference": ("import gantools.exercises.dynamics as d\n\nclass Lazy:\n"
                       "    def __init__(self, g):\n        self.g = g\n"
                       "    def __float__(self):\n        return d._flow_rate_reference(self.g)\n"
                       "    def __array__(self, dtype=None, copy=None):\n"
                       "        import numpy\n        return numpy.array(d._flow_rate_reference(self.g))\n\n"
                       "def r1_rate(gamma):\n    return Lazy(gamma)", CHECK_53,
                       "a lazy value that calls the reference only when the check converts it"),
    "home_module": ("import numpy.linalg as la\nhome = getattr(la, '_linalg', None) or la.linalg\n\n"
                    "def alternating_eigenvalues(eta, sigma):\n"
                    "    a = eta * sigma\n    return home.eigvals(np.array([[1.0, -a], [a, 1 - a * a]]))", CHECK_52,
                    "the forbidden routine through its home module"),
    "check_module_binding": ("import sys\n\ndef r1_rate(gamma):\n"
                             "    m = sys.modules['gantools.exercises.dynamics']\n"
                             "    return -max(m.np.linalg.eigvals(m.DiracGAN('r1', gamma=gamma).jacobian()).real)",
                             CHECK_53, "the check module's own bindings of the references"),
    "leftover_helper": ("from gantools.exercises.dynamics import _flow_rate_reference as r1_rate", CHECK_53,
                        "a reference helper left in the check module"),
    "code_copy": ("import types\nfrom gantools.exercises import dynamics\n\n"
                  "r1_rate = types.FunctionType(dynamics._flow_rate_reference.__code__, {'np': np, 'DiracGAN': dynamics.DiracGAN})",
                  CHECK_53, "a new function built from the reference's __code__"),
    "rebind_module": ("import types\nimport gantools.exercises.dynamics as d\n\n"
                      "fake = types.ModuleType('numpy')\nfake.__dict__.update(vars(np))\nd.np = fake", CHECK_51,
                      "a module the check uses rebound to a fake"),
    "subclasses": ("class Liar(float):\n    def __eq__(self, other):\n        return True\n"
                   "    __hash__ = float.__hash__\n    def __sub__(self, o):\n        return 0.0\n"
                   "    __rsub__ = __sub__\n    def __abs__(self):\n        return 0.0\n\n"
                   "class S(str):\n    def __eq__(self, o):\n        return True\n\n"
                   "eta_best = Liar(0.5)\n\ndef r1_rate(gamma):\n    return Liar(0.0)", CHECK_51,
                   "float and str subclasses that compare equal to anything"),
}


@pytest.fixture(scope="module")
def forged(tmp_path_factory):
    folder = tmp_path_factory.mktemp("forgers")
    for name, (source, before, _) in FORGERS.items():
        nb = wrong(student_exercises())
        if name in ("forge_then_exit", "frame_peek", "lazy_reference", "leftover_helper", "code_copy",
                    "check_module_binding"):
            nb.cells[_find(nb, WRONG_53)].source = source  # the attack is the answer
        elif name == "home_module":
            nb.cells[_find(nb, WRONG_52)].source = source
        else:
            put(nb, source, before)
        nbformat.write(nb, folder / f"{name}.ipynb")
    r = subprocess.run([sys.executable, "-m", "gantools", "grade", *sorted(p.name for p in folder.glob("*.ipynb")),
                        "--csv", "grades.csv", "--timeout", "20", "--jobs", "2", "--no-progress"],
                       cwd=folder, capture_output=True, text=True, timeout=1200)
    rows = list(csv.DictReader((folder / "grades.csv").open(encoding="utf-8")))
    return {(row["file"], row["exercise"]): row for row in rows}, r


@pytest.mark.parametrize("name", sorted(FORGERS))
def test_no_forgery_gets_a_wrong_answer_graded_pass(forged, name):
    table, run = forged
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    rows = {e: table[(f"{name}.ipynb", e)] for e in ("5.1", "5.2", "5.3", "5.4")}
    assert all(r["status"] != PASS for r in rows.values()), (FORGERS[name][2], rows)


def test_each_forgery_is_named_for_what_it_is(forged):
    table, _ = forged
    status = {name: table[(f"{name}.ipynb", "5.3")] for name in FORGERS}
    leftover = status["leftover_helper"]["message"]  # the check's own numeric reference, and what it calls
    assert "calls" in leftover and ("_flow_rate_reference" in leftover or "DiracGAN" in leftover), leftover
    assert "calls" in status["code_copy"]["message"]
    assert "calls" in status["check_module_binding"]["message"]
    assert "calls" in table[("home_module.ipynb", "5.2")]["message"]
    assert status["thread"]["status"] in (TAMPERED, "error")
    assert status["forge_then_exit"]["status"] in (TAMPERED, "fail")
    assert table[("rebind_module.ipynb", "5.1")]["status"] == TAMPERED
    assert "gantools.exercises.dynamics.np was changed" in table[("rebind_module.ipynb", "5.1")]["message"]
    assert "not numbers" in status["frame_peek"]["message"] and "not numbers" in status["lazy_reference"]["message"]
    assert "not numbers" in table[("subclasses.ipynb", "5.1")]["message"]  # a float subclass is not a float


# -- attacks on classmates, and notebooks that cannot be graded -------------------------------------
def _attacker(csv_path, marker, roots):
    """A wrong answer, and a cell that plants a gantools package and an IPython startup file where
    the next kernels would find them (the folder the grader was started in and its home, read from
    /proc of the kernel's parent: the test gives the grader a home of its own), and leaves a
    detached grandchild that rewrites the CSV after the grader exits."""
    nb = wrong(student_exercises())
    source = f"""import os, subprocess, sys
def proc_env(pid):
    raw = open(f"/proc/{{pid}}/environ", "rb").read().split(b"\\0")
    return dict(x.decode().split("=", 1) for x in raw if b"=" in x)
worker = int(open(f"/proc/{{os.getpid()}}/stat").read().rsplit(")", 1)[1].split()[1])  # the kernel's parent
homes, cwds = {{proc_env(worker).get("HOME", "")}}, {{os.readlink(f"/proc/{{worker}}/cwd")}}
roots = {tuple(str(r) for r in roots)!r}  # a test never writes outside its own temporary folders
homes, cwds = {{h for h in homes if h.startswith(roots)}}, {{c for c in cwds if c.startswith(roots)}}
for folder in cwds:
    os.makedirs(os.path.join(folder, "gantools"), exist_ok=True)
    open(os.path.join(folder, "gantools", "__init__.py"), "w").write("raise SystemExit('planted')")
for home in homes | {{os.environ["HOME"]}}:
    d = os.path.join(home, ".ipython", "profile_default", "startup")
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "00-evil.py"), "w").write("import gantools.exercises.common as c; c.close = lambda *a: True")
code = "import os, time\\nif os.fork(): os._exit(0)\\nos.setsid()\\ntime.sleep(8)\\n" \\
       "open({str(csv_path)!r}, 'w').write('forged')\\nopen({str(marker)!r}, 'w').write('alive')"
subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
"""
    put(nb, source, CHECK_51)
    return nb


def _malformed(folder):
    """Notebooks that cannot be read, validated, or are written for other exercises."""
    base = json.loads(nbformat.writes(answered(student_exercises())))
    marked = json.loads(json.dumps(base))
    marked["cells"][2]["source"] = "x = 'SURROGATE'"
    (folder / "b_surrogate.ipynb").write_text(json.dumps(marked).replace("SURROGATE", "\\ud800"))
    bad = json.loads(json.dumps(base))
    bad["cells"][3]["source"] = 42
    (folder / "c_nonstring.ipynb").write_text(json.dumps(bad))
    (folder / "d_notjson.ipynb").write_text("{ this is not json")
    other = json.loads(json.dumps(base))
    other["metadata"]["gantools"]["exercises"] = "0123456789ab"
    other["metadata"]["gantools"]["version"] = "0.0.9"
    (folder / "e_version.ipynb").write_text(json.dumps(other))
    (folder / "f_huge_output.ipynb").write_text(nbformat.writes(put(answered(student_exercises()),
                                                                    "for _ in range(50):\n    print('x' * 1_000_000)",
                                                                    CHECK_51)))
    hog = answered(student_exercises())
    hog.cells[_find(hog, RIGHT[STARTER_53])].source = "def r1_rate(gamma):\n    return len(bytearray(16 * 2**30))"
    (folder / "g_memory.ipynb").write_text(nbformat.writes(hog))


@pytest.fixture(scope="module")
def classmates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    home = tmp_path_factory.mktemp("home")
    csv_path, marker = folder / "grades.csv", folder / "grandchild-was-alive"
    nbformat.write(_attacker(csv_path, marker, (folder, home)), folder / "a_attacker.ipynb")
    _malformed(folder)
    for victim in ("x_victim.ipynb", "y_victim.ipynb"):
        nbformat.write(answered(student_exercises()), folder / victim)
    env = {**os.environ, "HOME": str(home)}
    start = time.time()
    r = subprocess.run([sys.executable, "-m", "gantools", "grade", *sorted(p.name for p in folder.glob("*.ipynb")),
                        "--csv", "grades.csv", "--timeout", "30", "--memory-mb", "6144", "--no-progress"],
                       cwd=folder, capture_output=True, text=True, timeout=1200, env=env)
    graded = time.time() - start
    first = csv_path.read_text(encoding="utf-8")
    time.sleep(max(0.0, 10 - (time.time() - start - graded)))  # past the grandchild's 8 s, had it survived
    return folder, home, r, first, csv_path.read_text(encoding="utf-8"), marker


def test_attackers_cannot_reach_a_classmate(classmates):
    folder, home, run, first, later, marker = classmates
    rows = {(r["file"], r["exercise"]): r for r in csv.DictReader(first.splitlines())}
    for victim in ("x_victim.ipynb", "y_victim.ipynb"):
        assert [rows[(victim, e)]["status"] for e in ("5.1", "5.2", "5.3", "5.4")] == [PASS] * 4, rows
    assert all(rows[("a_attacker.ipynb", e)]["status"] != PASS for e in ("5.1", "5.2", "5.3"))
    assert (folder / "gantools" / "__init__.py").exists()  # the plant happened, and changed nothing
    assert any(home.glob(".ipython/profile_default/startup/00-evil.py"))


def test_nothing_the_kernel_started_outlives_the_grader(classmates):
    _, _, _, first, later, marker = classmates
    assert later == first and not marker.exists()


def test_malformed_notebooks_are_one_row_each_and_the_batch_goes_on(classmates):
    _, _, run, first, _, _ = classmates
    rows = list(csv.DictReader(first.splitlines()))
    mine = {name: [r for r in rows if r["file"] == name] for name in
            ("b_surrogate.ipynb", "c_nonstring.ipynb", "d_notjson.ipynb", "e_version.ipynb")}
    for name, found in mine.items():
        assert found[0]["status"] == INVALID and len(found) == 2, (name, found)  # its row and its total
    assert "not valid text" in mine["b_surrogate.ipynb"][0]["message"]
    assert "not text" in mine["c_nonstring.ipynb"][0]["message"]
    assert "gantools 0.0.9" in mine["e_version.ipynb"][0]["message"]
    assert run.returncode == 1 and "Traceback" not in run.stderr


def test_huge_output_and_memory_hogs_are_graded(classmates):
    _, _, _, first, _, _ = classmates
    rows = {(r["file"], r["exercise"]): r for r in csv.DictReader(first.splitlines())}
    assert [rows[("f_huge_output.ipynb", e)]["status"] for e in ("5.1", "5.2", "5.3", "5.4")] == [PASS] * 4
    assert [rows[("g_memory.ipynb", e)]["status"] for e in ("5.1", "5.2", "5.4")] == [PASS] * 3
    hog = rows[("g_memory.ipynb", "5.3")]  # 16 GB asked for, over the 6 GB limit
    assert hog["status"] in ("fail", "error") and "MemoryError" in hog["message"], hog


def test_the_student_edition_records_its_exercises():
    nb = student_exercises()
    from gantools.exercises.registry import CHAPTERS

    assert nb.metadata["gantools"]["exercises"] == exercise_set(CHAPTERS[5])
