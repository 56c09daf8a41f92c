"""gantools.exercises star-imports every chapter's checks: no two chapters may export the
same name, or the later one silently replaces the earlier (a chapter 4 notebook would then
run chapter 9's check)."""

import importlib
import pkgutil
from collections import Counter

import gantools.exercises as ex


def test_no_two_chapters_export_the_same_name():
    modules = [importlib.import_module(f"gantools.exercises.{m.name}") for m in pkgutil.iter_modules(ex.__path__)]
    names = Counter(n for m in modules for n in getattr(m, "__all__", []))
    assert [n for n, k in names.items() if k > 1] == []
    for m in modules:  # and the package exposes each module's own object
        assert all(getattr(ex, n) is getattr(m, n) for n in getattr(m, "__all__", [])), m.__name__
