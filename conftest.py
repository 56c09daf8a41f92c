"""Test-wide settings. The kernels that nbval starts inherit this environment: like the book
build (``_ext/execution.py``), they run headless, so explorers draw their static view and
create no ipywidgets ``Output`` widget (see ``gantools.notebook.headless``). Tests of the live
explorer set ``GANTOOLS_HEADLESS=0`` themselves."""

import os

os.environ.setdefault("GANTOOLS_HEADLESS", "1")
