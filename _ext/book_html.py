"""Small fixes to the HTML pages (a local Sphinx extension, see _config.yml).

sphinx-thebe registers its inline configuration script (``const THEBE_JS_URL = ...``)
once per read of the environment; under jupyter-book the page ends up with two copies,
and the second throws "Identifier 'THEBE_JS_URL' has already been declared" in every
reader's console. We drop exact duplicate scripts from each page.
"""


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        attrs = getattr(js, "attributes", {}) or {}
        # an inline script has filename None or "" depending on who added it
        key = (getattr(js, "filename", str(js)) or "", tuple(sorted((k, str(v)) for k, v in attrs.items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
