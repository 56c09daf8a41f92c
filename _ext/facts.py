"""MyST substitutions from the book's facts (a local Sphinx extension, see _config.yml).

The interview bank, the introduction and the how-to-use page quote numbers that the chapters
compute. They write ``{{ ch10_fd_dcgan_800 }}``; this extension fills every such name from
``gantools/data/facts/*.json``, the files the chapters assert against (``gantools.facts``), so a
quoted number cannot drift away from the computation. An unknown name is a build warning
(MyST's ``substitution`` warning), and ``-W`` makes it an error.
"""

from gantools.facts import substitutions


def _fill_substitutions(app, config):
    merged = dict(substitutions())
    merged.update(config.myst_substitutions or {})  # names set in _config.yml win
    config.myst_substitutions = merged


def setup(app):
    app.connect("config-inited", _fill_substitutions, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
