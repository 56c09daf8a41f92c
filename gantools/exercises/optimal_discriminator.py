"""Checks for this chapter's exercises (written with the chapter)."""
__all__: list[str] = []
