"""The command line: ``python -m gantools COMMAND ...``.

Commands:
    student BOOK_DIR --out DIR   write the student edition (solutions removed) of every notebook
    grade NOTEBOOK               run a notebook and report each exercise: pass / fail / not attempted

Bad arguments print one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys


class ArgumentParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def cmd_student(args: argparse.Namespace) -> int:
    from gantools.student import make_student_edition

    written = make_student_edition(args.book_dir, args.out)
    print(f"wrote {len(written)} student notebooks to {args.out}")
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    from gantools.grading import grade

    grade(args.notebook, timeout=args.timeout)
    return 0


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="python -m gantools",
                            description="Tools for the book 'GANs from First Principles'.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    sub.required = True

    p = sub.add_parser("student", help="write the student edition (solutions removed) of the notebooks")
    p.add_argument("book_dir", help="directory with the chapter notebooks, e.g. book")
    p.add_argument("--out", required=True, help="directory to write the student notebooks to")
    p.set_defaults(func=cmd_student)

    p = sub.add_parser("grade", help="run a notebook and report each exercise: pass / fail / not attempted")
    p.add_argument("notebook", help="the notebook to grade (.ipynb)")
    p.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (default 600)")
    p.set_defaults(func=cmd_grade)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "timeout", 1) <= 0:
        parser.error("--timeout must be a positive number of seconds")
    try:
        return args.func(args)
    except ValueError as e:
        print(f"{parser.prog} {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
