"""Small build-time fixes for the offline website.

1. sphinx-thebe 0.3.1 and sphinx-togglebutton register their inline
   configuration scripts twice on every page under Jupyter Book 1.0; the second
   copy of thebe's throws ``Identifier 'THEBE_JS_URL' has already been
   declared`` in the browser console. Repeated script tags are dropped.
2. Docutils marks bibliography entries ``role="doc-biblioentry"`` inside a
   ``role="list"`` container; ARIA requires a list's children to be list items,
   which axe-core reports as a critical violation. The entries get
   ``role="listitem"``.
"""


def _fix_page(app, pagename, templatename, context, doctree):
    seen, kept = set(), []
    for js in context.get("script_files", []):
        attrs = getattr(js, "attributes", {}) or {}
        key = (getattr(js, "filename", str(js)) or "", tuple(sorted((k, str(v)) for k, v in attrs.items())))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    context["script_files"] = kept
    if "body" in context:
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app):
    app.connect("html-page-context", _fix_page, priority=1000)  # after every other handler
    return {"parallel_read_safe": True, "parallel_write_safe": True}
