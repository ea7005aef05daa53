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
5. The ``l2lib-module`` directive (used by book/reference.md): one section per l2lib module, titled
   with the module's name, holding the directive's text (what the module is for in the book) and the
   module's public API (its ``__all__``) from its docstrings through autodoc. Adding or renaming a
   module on the reference page is the directive's one argument line.
6. Two kinds of reference to l2lib's own objects that Sphinx does not resolve by itself are resolved
   to the object documented on the reference page (never ignored): a name the package re-exports
   (``l2lib.cost``, the ``L.cost`` the chapters call) goes to the module that defines it
   (``l2lib.penalty.cost``); a type hint naming a type alias (``Params``), which Sphinx looks up as a
   class only, goes to the alias documented as data (``l2lib.network.Params``). A reference that
   still has no target stays a warning.
7. autodoc documents a module-level constant only when it has a ``#:`` doc comment; a constant in a
   module's ``__all__`` without one (``HIDDEN = ("relu", "tanh")``) is documented anyway, with its
   value (unless that is too long to read), so every public name is on the reference page.
8. Appendices are lettered. sphinx-multitoc-numbering numbers every numbered toctree on from the last,
   so the first appendix would be "7"; each document of a numbered toctree captioned "Appendix"
   (or "Appendices") gets a letter instead, A for the first: its headings (A, A.1, ...), its figures,
   equations and exercises (A.1, ...), and with them the sidebar, prev/next links and every
   cross-reference, which all read the numbers assigned here.
"""
import functools
import importlib
import importlib.util
import inspect
import html as html_module
import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.errors import ExtensionError
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_refnode

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


_FALLBACK = re.compile(r'<img class="l2-fallback"[^>]*>')


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
        body = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')
        # A figure's first frame a second time, as an image for JupyterLab's sanitized view of a stored
        # notebook (l2lib.slider.FrameViewer.html); a page draws it inline, so the image is dropped.
        context["body"] = _FALLBACK.sub("", body)
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


def _mathjax_path_from_config(app, config):
    """config-inited: sphinx-mathjax-offline sets ``mathjax_path`` to its all-in-one tex-chtml.js when
    it loads, over _config.yml's value; _config.yml's value (MathJax's startup.js with the components
    the book uses, from the same folder) is put back. Page weight, like _lighter_icons below."""
    # Jupyter Book hands _config.yml's sphinx.config to Sphinx as overrides (conf.py's names are raw)
    wanted = config.overrides.get("mathjax_path") or getattr(config, "_raw_config", {}).get("mathjax_path")
    if wanted and config.mathjax_path != wanted:
        config.mathjax_path = wanted


# Page weight (book/_static/weight-icons.css). The theme loads fontawesome.js (1.5 MB, every Font
# Awesome icon as SVG) on every page and the 156 kB solid webfont for its CSS icons (admonition
# titles); the site shows some twenty icons. Once the pages are written, every page's
# fontawesome.js tag is dropped, so each icon (an <i class="fa-...">, or a CSS ::before/::after)
# is drawn from the theme's own font, and weight-icons.css replaces each Font Awesome face with a
# subset holding just the glyphs the site uses: the icon classes named by any page or by the
# theme's scripts, and every icon codepoint the stylesheets write themselves.
_FA_SCRIPT_TAG = re.compile(r'[ \t]*(?:<!-- So that users can add custom icons -->\s*)?'
                            r'<script[^>]*\bsrc="[^"]*_static/scripts/fontawesome\.js[^"]*"[^>]*></script>\n?')
_FA_FACES = ("fa-solid-900", "fa-regular-400", "fa-brands-400")   # -> _static/weight-<face>.woff
# fontawesome.js marked each icon it drew aria-hidden (it is decoration: its button has a name); the
# <i> that now shows it gets the same mark
_FA_ICON_TAG = re.compile(r'<i (?![^>]*aria-hidden)([^>]*\bclass="[^"]*\bfa-[a-z0-9-]+[^"]*"[^>]*)>')
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_FA_ICON_SELECTOR = re.compile(r"\.(fa-[a-z0-9-]+)::?before")


def _css_string_chars(decl):
    """Code points of the characters inside the quoted strings of a CSS declaration block."""
    cps = []
    for body in re.findall(r'"((?:[^"\\]|\\.)*)"', decl):
        for esc, lit in re.findall(r"\\([0-9a-fA-F]{1,6}) ?|(\\?.)", body, flags=re.S):
            cps.append(int(esc, 16) if esc else ord(lit[-1]))
    return cps


def _icon_codepoints(static, texts):
    """The Font Awesome code points the site draws: the ``.fa-NAME:before`` glyph of every icon
    class named in ``texts`` (the pages and scripts), and every private-use code point a
    stylesheet rule other than that class table writes (the theme's ``--pst-icon-*`` values)."""
    table, needed = {}, set()
    for css in sorted(static.rglob("*.css")):
        for selectors, decl in _CSS_RULE.findall(css.read_text(encoding="utf-8", errors="replace")):
            names = [_FA_ICON_SELECTOR.fullmatch(s.strip()) for s in selectors.split(",")]
            chars = _css_string_chars(decl)
            if all(names) and "content" in decl and len(chars) == 1:
                table.update({m.group(1): chars[0] for m in names})
            else:
                needed.update(c for c in chars if 0xE000 <= c <= 0xF8FF)
    for text in texts:
        needed.update(table[name] for name in re.findall(r"\bfa-[a-z0-9-]+", text) if name in table)
    return needed


def _lighter_icons(app, exception):
    """build-finished: drop fontawesome.js from every page and write the icon font subsets."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    static = out / "_static"
    pages, texts = sorted(out.rglob("*.html")), []
    for page in pages:
        html = page.read_text(encoding="utf-8")
        lighter = _FA_ICON_TAG.sub(r'<i aria-hidden="true" \1>', _FA_SCRIPT_TAG.sub("", html))
        if "fontawesome.js" in lighter:
            raise ExtensionError(f"{page.relative_to(out)} still loads fontawesome.js after its <script> tag "
                                 f"was removed; the theme's markup changed (see site_fixes.py, page weight)")
        if lighter != html:
            page.write_text(lighter, encoding="utf-8")
        texts.append(lighter)
    texts += [js.read_text(encoding="utf-8", errors="replace") for js in sorted(static.rglob("*.js"))
              if "mathjax" not in js.parts and js.name != "fontawesome.js"]
    needed = _icon_codepoints(static, texts)
    try:
        from fontTools import subset
    except ImportError as err:
        raise ExtensionError(f"fontTools (requirements.txt) is needed to write the icon fonts: {err}") from err
    options = subset.Options(flavor="woff", notdef_outline=True)
    for face in _FA_FACES:
        source = static / "vendor" / "fontawesome" / "webfonts" / f"{face}.ttf"
        if not source.is_file():
            raise ExtensionError(f"the theme's icon font {source.relative_to(out)} is missing; "
                                 f"weight-icons.css needs it to write _static/weight-{face}.woff")
        font = subset.load_font(str(source), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=needed)
        subsetter.subset(font)
        target = static / f"weight-{face}.woff"
        subset.save_font(font, str(target), options)
        LOGGER.info(f"icons: {target.relative_to(out)} ({len(font.getBestCmap())} glyphs, "
                    f"{target.stat().st_size / 1e3:.1f} kB)")


# Figures (l2lib.slider) are inline SVG with their text as text, in matplotlib's DejaVu Sans (and its
# oblique face for mathtext's italics), the font their layout was measured with. A reader whose
# machine lacks it would see another sans-serif of other widths: labels and mathtext pieces would
# shift. l2book.css declares both faces (a local copy first); here they are written as subsets of
# matplotlib's own fonts holding the characters the site's figures use (a browser fetches a face
# only when a page draws text in it).
_FIGURE_FACES = (("DejaVuSans.ttf", "l2-dejavu-sans.woff"), ("DejaVuSans-Oblique.ttf", "l2-dejavu-sans-oblique.woff"))
_FIGURE_BLOCK = re.compile(r'<div class="l2-frames".*?</script></div>', re.S)


def _figure_fonts(app, exception):
    """build-finished: write the figure font subsets (see above)."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    chars = set()
    for page in sorted(out.rglob("*.html")):
        for block in _FIGURE_BLOCK.findall(page.read_text(encoding="utf-8")):
            chars.update(ord(c) for c in html_module.unescape(block) if c.isprintable())
    try:
        import matplotlib
        from fontTools import subset
    except ImportError as err:
        raise ExtensionError(f"matplotlib and fontTools (requirements.txt) write the figure fonts: {err}") from err
    source_dir = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    options = subset.Options(flavor="woff", notdef_outline=True, layout_features=["*"])
    for source, target in _FIGURE_FACES:
        font = subset.load_font(str(source_dir / source), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=chars | set(range(0x20, 0x7F)))
        subsetter.subset(font)
        subset.save_font(font, str(out / "_static" / target), options)
        LOGGER.info(f"figure font: _static/{target} ({len(font.getBestCmap())} glyphs, "
                    f"{(out / '_static' / target).stat().st_size / 1e3:.1f} kB)")


class L2libModule(SphinxDirective):
    """``{l2lib-module} l2lib.<name>`` with a sentence as content, in a MyST page (see 5. above)."""

    required_arguments = 1
    has_content = True

    def run(self):
        name = self.arguments[0]
        section = nodes.section(ids=[nodes.make_id(f"api-{name}")], names=[nodes.fully_normalize_name(name)])
        self.state.document.note_implicit_target(section, section)
        section += nodes.title("", "", nodes.literal(text=name))
        self.state.nested_parse(self.content, self.content_offset, section)
        # autodoc writes reStructuredText, so it runs inside MyST's eval-rst
        self.state.nested_parse(self.content.__class__(["```{eval-rst}", f".. automodule:: {name}", "```"]),
                                self.content_offset, section)
        return [section]


def _documented(env, name):
    """The Python domain's entry for ``name`` if the reference page documents it, else None."""
    return env.get_domain("py").objects.get(name)


def _l2lib_target(env, node):
    """Full name of the documented l2lib object a ``py`` reference means (see 6. above), or None."""
    target = node["reftarget"].lstrip("~.")
    if target.startswith("l2lib.") and target.count(".") == 1:      # a re-export of the package
        try:
            obj = getattr(importlib.import_module("l2lib"), target.split(".")[1])
        except (ImportError, AttributeError):
            return None
        home = getattr(obj, "__module__", None)
        name = getattr(obj, "__qualname__", None)
        if home and name and home != "l2lib" and _documented(env, f"{home}.{name}"):
            return f"{home}.{name}"
        return None
    if node.get("reftype") == "class":                               # a type hint naming an alias
        if _documented(env, target) and _documented(env, target).objtype in ("data", "type"):
            return target
        if "." not in target and (node.get("py:module") or "").startswith("l2lib"):
            found = [k for k, v in env.get_domain("py").objects.items()
                     if k.startswith("l2lib.") and k.endswith(f".{target}") and v.objtype in ("data", "type")]
            if len(found) == 1:
                return found[0]
    return None


def _resolve_l2lib(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    full = _l2lib_target(env, node)
    if full is None:
        return None
    entry = _documented(env, full)
    return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, full)


def _public_data_documenter():
    """The documenter of 7. above (built here: it needs sphinx.ext.autodoc loaded)."""
    from sphinx.ext.autodoc import DataDocumenter, ModuleDocumenter
    from sphinx.util.inspect import object_description

    class PublicDataDocumenter(DataDocumenter):
        objtype = "l2lib-public-data"
        directivetype = "data"
        priority = DataDocumenter.priority - 10     # only where no other documenter applies

        @classmethod
        def can_document_member(cls, member, membername, isattr, parent):
            if not isinstance(parent, ModuleDocumenter) or isattr:
                return False
            if inspect.isroutine(member) or inspect.isclass(member) or inspect.ismodule(member):
                return False
            return membername in (getattr(parent.object, "__all__", None) or ())

        def get_doc(self):
            return [] if self.get_module_comment(self.objpath[-1]) is None else super().get_doc()

        def should_suppress_value_header(self):
            # a value too long to read in a signature (a table of objects) is left to the docstrings
            return len(object_description(self.object)) > 120 or super().should_suppress_value_header()

    return PublicDataDocumenter


_APPENDIX_CAPTION = re.compile(r"^\s*appendi(x|ces)\b", re.IGNORECASE)


def _appendix_letters(env):
    """{docname: letter} for the documents of the numbered toctrees captioned "Appendix"."""
    letters = {}
    for docname in sorted(env.numbered_toctrees):
        for toctree in env.get_doctree(docname).findall(addnodes.toctree):
            if toctree.get("numbered") and _APPENDIX_CAPTION.match(toctree.get("caption") or ""):
                for _title, ref in toctree["entries"]:
                    if ref in env.toc_secnumbers and ref not in letters:
                        letters[ref] = chr(ord("A") + len(letters))
    return letters


def _letter_appendices(app, env):
    """Runs after Sphinx's numbering (env-get-updated, see 8. above); returns no extra docs to write."""
    def swap(number, first, letter):
        if number and number[0] == first:
            return type(number)([letter, *number[1:]])
        return number

    for docname, letter in _appendix_letters(env).items():
        secnums = env.toc_secnumbers[docname]
        first = (secnums.get("") or (None,))[0]
        if not isinstance(first, int):
            continue                                  # no number, or already lettered
        for anchor, number in secnums.items():
            secnums[anchor] = swap(number, first, letter)
        for ref in env.tocs[docname].findall(nodes.reference):
            if ref.get("secnumber"):
                ref["secnumber"] = swap(ref["secnumber"], first, letter)
        title = env.titles.get(docname)
        if title is not None and title.get("secnumber"):
            title["secnumber"] = swap(title["secnumber"], first, letter)
        for numbers in env.toc_fignumbers.get(docname, {}).values():
            for node_id, number in numbers.items():
                numbers[node_id] = swap(number, first, letter)
    return []


def setup(app):
    app.setup_extension("sphinx.ext.autodoc")
    app.add_autodocumenter(_public_data_documenter())
    app.connect("missing-reference", _resolve_l2lib)
    app.connect("env-get-updated", _letter_appendices, priority=900)   # after the toctree collector
    app.add_directive("l2lib-module", L2libModule)
    app.connect("html-page-context", _fix_page, priority=1000)  # after every other handler
    app.connect("build-finished", _build_downloads)
    app.connect("build-finished", _lighter_icons)   # page weight: see weight-icons.css
    app.connect("build-finished", _figure_fonts)
    app.connect("config-inited", _mathjax_path_from_config)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
