"""The "l2lib reference" page (book/reference.md) documents the whole public API.

Every public module of l2lib (a module of the package whose name does not start with an underscore,
found by walking the package, not read from the page) must have its section on the page, and every
name in its ``__all__`` must be there as a documented object: a Sphinx object description whose
anchor is the full name, ``<dt class="sig sig-object py" id="l2lib.network.forward">``. The page is
read from the built website (tests/conftest.py's ``book_build``, in $L2_BUILD_OUT when that is set).
"""
from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import l2lib
from conftest import HTML

PAGE = HTML / "book" / "reference.html"
_OBJECT = re.compile(r'<dt class="sig sig-object py[^"]*" id="([^"]+)"')
_MODULE = re.compile(r'\bid="module-(l2lib(?:\.\w+)*)"')


def public_modules() -> list[str]:
    """Full names of l2lib's public modules, from the package on disk."""
    return sorted(f"l2lib.{m.name}" for m in pkgutil.iter_modules(l2lib.__path__) if not m.name.startswith("_"))


def public_names(module: str) -> list[str]:
    """Full names of what ``module`` exports, from its ``__all__``."""
    mod = importlib.import_module(module)
    assert hasattr(mod, "__all__"), f"{module} has no __all__, so its public names are not defined"
    return [f"{module}.{name}" for name in mod.__all__]


def documented(html: str) -> tuple[set[str], set[str]]:
    """(anchors of documented objects, documented modules) on a built page."""
    return set(_OBJECT.findall(html)), set(_MODULE.findall(html))


def missing(module: str, html: str) -> list[str]:
    """What of ``module`` (itself, then each name of its __all__) the page does not document."""
    objects, modules = documented(html)
    gone = [] if module in modules else [f"module {module}"]
    return gone + [name for name in public_names(module) if name not in objects]


@pytest.fixture(scope="module")
def reference_html(book_build) -> str:
    assert PAGE.is_file(), f"{PAGE} was not built; the build said: {(book_build.stdout + book_build.stderr)[-3000:]}"
    return PAGE.read_text(encoding="utf-8")


@pytest.mark.parametrize("module", public_modules())
def test_every_public_name_is_documented(reference_html, module):
    assert missing(module, reference_html) == [], \
        f"book/reference.md does not document these public names (add the module's l2lib-module line " \
        f"there, or give the name a docstring): {missing(module, reference_html)}"


# The checker itself, on pages written here (no build needed).
def _page(names: list[str], modules: list[str]) -> str:
    return "".join(f'<section id="module-{m}"></section>' for m in modules) + "".join(
        f'<dl class="py function"><dt class="sig sig-object py" id="{n}">' for n in names)


def test_checker_finds_the_public_modules_and_their_names():
    mods = public_modules()
    assert {"l2lib.network", "l2lib.penalty", "l2lib.quadratic", "l2lib.slider"} <= set(mods)
    assert not any(m.split(".")[-1].startswith("_") for m in mods)
    assert "l2lib.gradcheck.gradient_check" in public_names("l2lib.gradcheck")


def test_checker_reports_a_missing_name_and_a_missing_module():
    names = public_names("l2lib.gradcheck")
    assert missing("l2lib.gradcheck", _page(names, ["l2lib.gradcheck"])) == []
    assert missing("l2lib.gradcheck", _page(names[1:], ["l2lib.gradcheck"])) == [names[0]]
    assert missing("l2lib.gradcheck", _page(names, [])) == ["module l2lib.gradcheck"]
    # a name only mentioned (a link, a section id) is not a documented object
    mention = f'<a href="#{names[0]}">x</a><section id="{names[0]}">'
    assert missing("l2lib.gradcheck", _page(names[1:], ["l2lib.gradcheck"]) + mention) == [names[0]]
