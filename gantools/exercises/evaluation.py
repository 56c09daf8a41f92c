"""Checks for chapter evaluation (written with the chapter)."""

__all__: list[str] = []
