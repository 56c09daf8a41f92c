"""Grade submissions: run each notebook, isolated, and judge its answers in the grader's own process.

``python -m gantools grade submissions/*.ipynb --csv grades.csv --jobs 2`` (or :func:`grade_many`)
works in four steps for every notebook:

1. **Read.** The notebook is read and validated before anything runs; one that cannot be read
   (not JSON, not a notebook, a cell whose source is not text), belongs to no chapter with
   exercises, or was written for other exercises than this grader's (its recorded
   ``gantools`` exercise set differs) becomes one row with the status ``invalid`` and the
   reason. The chapter comes from the notebook (its metadata, else its ``# N. Title``
   heading), never from the file name; the exercises come from
   :mod:`gantools.exercises.registry`, not from the submission.
2. **Run, isolated** (:mod:`gantools.grading.worker`): a worker process per notebook, with an
   empty private directory holding a copy of the notebook (and of ``runs/``), a fresh home and
   IPython directory, ``PYTHONSAFEPATH``, its own session, limits on memory, file size and
   time; the worker kills every process the kernel left and deletes the directory before it
   reports. Before the student's first cell a *baseline* cell reports the environment; at
   the end of each exercise a *probe* cell evaluates the student's answer on cases this
   grader drew, fresh for this notebook, and reports plain data (:mod:`gantools.grading.probe`).
3. **Judge, here.** This process computes the references and compares
   (:func:`gantools.exercises.protocol.verdict`): nothing in the student's kernel decides a pass.
4. **Report.** One :class:`ExerciseResult` per exercise, with one of these statuses:

   - ``pass``: the answer's outputs match the reference on every case;
   - ``fail``: they do not (the message is the check's hint), or the report was malformed;
   - ``not attempted``: the starter code is still there, or the answer is not defined;
   - ``error``: a cell of the exercise raised and the answer did not pass, a thread the notebook
     started was still running at the check, or the check could not run;
   - ``tampered``: the notebook rebound the exercise's check, changed a function, class, module
     or constant of gantools, or published a report of its own; never ``pass``;
   - ``timeout``: a cell of the exercise, or its check, ran longer than ``timeout``;
   - ``died``: the kernel died (``os._exit``, a crash, out of memory) before the check ran;
   - ``invalid``: the notebook could not be graded at all (one row, see step 1).

The CSV is written atomically, after every kernel and everything they started is gone. What
this does not do: stop a student from copying the book's code, or contain a kernel that
attacks the machine (run a class in a container: ``book/for_instructors.md``).
"""

from .judge import grade, grade_many
from .read import chapter_of, exercise_set, find_checks, read_submission
from .report import (
                     DIED,
                     ERROR,
                     FAIL,
                     FAILED,
                     INVALID,
                     NOT_ATTEMPTED,
                     PASS,
                     POINTS,
                     STATUSES,
                     TAMPERED,
                     TIMEOUT,
                     ExerciseResult,
                     exit_status,
                     format_table,
                     read_weights,
                     summary,
                     write_csv,
)
from .run import Limits

__all__ = ["grade", "grade_many", "chapter_of", "exercise_set", "find_checks", "read_submission", "DIED", "ERROR",
           "FAIL", "FAILED", "INVALID", "NOT_ATTEMPTED", "PASS", "POINTS", "STATUSES", "TAMPERED", "TIMEOUT",
           "ExerciseResult", "exit_status", "format_table", "read_weights", "summary", "write_csv", "Limits"]
