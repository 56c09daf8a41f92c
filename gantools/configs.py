"""What every config dataclass of the package shares (the shared floor).

Each config is a frozen ``@dataclass`` with a comment on every field that derives from
:class:`Config`, so that every one of them behaves alike: ``cfg.replace(lr_g=2e-4)`` is a
checked copy (``dataclasses.replace`` runs the config's ``__post_init__`` checks again, so a bad value
raises ``ValueError`` there too), and ``dataclasses.replace(cfg, ...)`` works as well. Every
config checks its fields in ``__post_init__`` (``tests/test_package_shape.py`` tries one bad value each).
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

__all__ = ["Config"]

C = TypeVar("C", bound="Config")


class Config:
    """Mixin for the package's frozen config dataclasses."""

    def replace(self: C, **changes: Any) -> C:
        """A copy with some fields changed (``dataclasses.replace``), validated again."""
        return dataclasses.replace(self, **changes)
