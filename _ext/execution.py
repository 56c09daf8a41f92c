"""How the build executes the chapters (a local Sphinx extension, see _config.yml).

The kernels that execute the notebooks inherit this process's environment, so setting
``GANTOOLS_HEADLESS=1`` here tells ``gantools`` that nobody can move a widget: explorers draw
their static view and create no ipywidgets ``Output`` widget. With one, nbclient answers the
widget on the kernel's shell channel while it waits there for the cell's reply, and now and
then loses the reply's wake-up: the build then sleeps until the cell's timeout (nbclient issue
#312; see ``gantools.notebook.headless``). A reader who sets the variable keeps their value.
"""

import os


def setup(app):
    os.environ.setdefault("GANTOOLS_HEADLESS", "1")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
