"""Small build-time fixes for the offline website.

1. sphinx-thebe 0.3.1 and sphinx-togglebutton register their inline
   configuration scripts twice on every page under Jupyter Book 1.0; the second
   copy of thebe's throws ``Identifier 'THEBE_JS_URL' has already been
   declared`` in the browser console. Repeated script tags are dropped.
2. Docutils marks bibliography entries ``role="doc-biblioentry"`` inside a
   ``role="list"`` container; ARIA requires a list's children to be list items,
   which axe-core reports as a critical violation. The entries get
   ``role="listitem"``.
3. The site serves the book's downloads: once Sphinx has written the pages,
   ``scripts/build_downloads.py`` writes ``downloads/l2book-src.tar.gz`` (every tracked file) and
   the l2lib wheel into the site; failing that, the build fails. Every page's download menu
   (sphinx-book-theme's header dropdown) lists both, next to the page's own ``.ipynb``/``.md``.
4. Links in ``html.extra_footer`` (_config.yml) are written relative to the site's root; each page
   gets them relative to itself, so they work at every depth and through ``file://``.
"""
import functools
import importlib.util
import re
from pathlib import Path

from sphinx.errors import ExtensionError
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_downloads.py"


@functools.lru_cache(maxsize=None)
def _downloads_module():
    spec = importlib.util.spec_from_file_location("l2book_build_downloads", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _download_buttons(app, pathto):
    dl = _downloads_module()
    return [
        {"type": "link", "url": pathto(f"downloads/{dl.ARCHIVE}", 1), "text": dl.ARCHIVE,
         "tooltip": "Download the book's source: every chapter, l2lib and the pinned requirements "
                    "(see Running locally)",
         "icon": "fas fa-file-zipper", "label": "download-book-source-button"},
        {"type": "link", "url": pathto(f"downloads/{dl.wheel_name(app.srcdir)}", 1), "text": "l2lib wheel",
         "tooltip": "Download the l2lib package every chapter imports (pip install it)",
         "icon": "fas fa-box-archive", "label": "download-l2lib-wheel-button"},
    ]


def _root_relative_links(html, pathto):
    """``href="x"`` (no scheme, not an anchor) taken relative to the site's root -> relative to the page."""
    return re.sub(r'href="(?![a-z][a-z0-9+.-]*:|#|/)([^"]+)"',
                  lambda m: f'href="{pathto(m.group(1), 1)}"', html)


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
    pathto = context["pathto"]
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"][1:1] = _download_buttons(app, pathto)   # after the page's own file
    if context.get("theme_extra_footer"):
        context["theme_extra_footer"] = _root_relative_links(context["theme_extra_footer"], pathto)


def _build_downloads(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    try:
        paths = _downloads_module().build_downloads(Path(app.outdir), Path(app.srcdir))
    except RuntimeError as err:
        raise ExtensionError(f"the website's downloads could not be built: {err}") from err
    for p in paths:
        LOGGER.info(f"download: {p.relative_to(app.outdir)} ({p.stat().st_size / 1e6:.2f} MB)")


def setup(app):
    app.connect("html-page-context", _fix_page, priority=1000)  # after every other handler
    app.connect("build-finished", _build_downloads)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
