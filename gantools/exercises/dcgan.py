"""Checks for chapter dcgan (written with the chapter)."""

__all__: list[str] = []
