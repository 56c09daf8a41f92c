"""Chapter 5's student edition cut to its exercises, and answers to put in it: the submissions
the grading tests hand to the grader."""

from pathlib import Path

import nbformat

from gantools.student import student_notebook

ROOT = Path(__file__).resolve().parents[1]
CHAPTER5 = ROOT / "book" / "05_game_dynamics.ipynb"
TIMEOUT_S = 8  # per cell: the batch's hanging notebooks cost this much each

RIGHT = {
    "eta_best = None  # YOUR CODE HERE": "eta_best = 1 / (2 * np.sqrt(2))",
    "def alternating_eigenvalues(eta, sigma):\n    # YOUR CODE HERE\n    raise NotImplementedError":
        "def alternating_eigenvalues(eta, sigma):\n"
        "    a = eta * sigma\n"
        "    root = np.lib.scimath.sqrt(1 - a**2 / 4)\n"
        "    return np.array([1 - a**2 / 2 + 1j * a * root, 1 - a**2 / 2 - 1j * a * root])",
    "def r1_rate(gamma):\n    # YOUR CODE HERE\n    raise NotImplementedError":
        "def r1_rate(gamma):\n    return gamma / 2 if gamma <= 1 else 0.5 / (gamma + np.sqrt(gamma**2 - 1))",
    "def alternating_band(eta, sigma, u0, v0):\n    # YOUR CODE HERE\n    raise NotImplementedError":
        "def alternating_band(eta, sigma, u0, v0):\n"
        "    a, q = eta * sigma, u0**2 + v0**2 - eta * sigma * u0 * v0\n"
        "    return np.sqrt(q / (1 + a / 2)), np.sqrt(q / (1 - a / 2))",
}
STARTER_51, STARTER_52, STARTER_53, STARTER_54 = RIGHT
CHECK_51, CHECK_52, CHECK_53 = (f"assert {c}" for c in ("check_extragradient_step(eta_best)",
                                                      "check_alternating_eigenvalues(alternating_eigenvalues)",
                                                      "check_r1_rate(r1_rate)"))
EXERCISES = ("5.1", "5.2", "5.3", "5.4")


def student_exercises():
    """Chapter 5's student edition (with its metadata), without the body: title, header, then
    the Exercises section with the imports it needs from the body (NumPy, and the simulation
    that exercise 5.4's run cell measures with)."""
    nb = student_notebook(nbformat.read(CHAPTER5, as_version=4))
    start = next(i for i, c in enumerate(nb.cells) if "from gantools.exercises import" in c.source)
    nb.cells = nb.cells[:2] + [nbformat.v4.new_code_cell("import numpy as np\n\nfrom gantools.games import simulate")] + nb.cells[start:]
    for c in nb.cells:
        c.pop("id", None)
    nb.nbformat_minor = 4
    return nb


def find(nb, source):
    return next(i for i, c in enumerate(nb.cells) if c.source.strip() == source.strip())


def answered(nb, *which):
    """Replace the starters of ``which`` (all by default) by right answers."""
    for starter in which or RIGHT:
        nb.cells[find(nb, starter)].source = RIGHT[starter]
    return nb


def put(nb, source, before):
    """Insert a code cell ``source`` before the cell ``before``."""
    nb.cells.insert(find(nb, before), nbformat.v4.new_code_cell(source))
    return nb


