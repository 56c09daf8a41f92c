"""Checks for chapter wgan_gp (written with the chapter)."""

__all__: list[str] = []
