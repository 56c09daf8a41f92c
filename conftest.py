"""Test-wide settings. The kernels that nbval starts inherit this environment: like the book
build (``_ext/execution.py``), they run headless, so explorers draw their static view and
create no ipywidgets ``Output`` widget (see ``gantools.notebook.headless``). Tests of the live
explorer set ``GANTOOLS_HEADLESS=0`` themselves."""

import os

import pytest

os.environ.setdefault("GANTOOLS_HEADLESS", "1")


@pytest.fixture
def one_thread():
    """One intra-op torch thread for the test (restored after): on a shared two-core machine
    small models run several times faster so. Use with ``pytest.mark.usefixtures``."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
