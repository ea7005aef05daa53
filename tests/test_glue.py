"""Numbers in the chapters' text come from their computations through myst-nb's glue.

A code cell calls ``glue("ch2-dev-acc-1", 0.867, display=False)``; myst-nb stores the value as a
``display_data`` output whose metadata is ``{"scrapbook": {"name": key, "mime_prefix": ...}}`` and
whose data is ``{mime_prefix + "text/plain": repr(value)}``. The text refers to it as
``{glue:text}`key:format``` (or ``{glue}`key```, or ``other.ipynb::key`` for another page's value).
These tests read the stored notebooks as JSON, execute nothing, and check that

- every reference in a chapter's markdown finds its value, in the notebook it names, and that the
  value takes the reference's format (a missing key is a warning, so an error, of the -W build);
- every key is glued once in the whole book, so a key names one number wherever it is used;
- every stored value is a plain, rounded literal: it becomes a stored output that nbval compares
  on other CPUs, so it must not carry the last bits of a computation.
"""
from __future__ import annotations

import ast
import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TEXT = "text/plain"
MAX_DIGITS = 6          # significant digits of a stored float
# Roles: {glue}, {glue:}, {glue:any} paste by key; {glue:text} and {glue:md} take `key:format`.
ROLE = re.compile(r"\{glue(?::(any|text|md))?:?\}`([^`]+)`")
# Directives: ```{glue} key, :::{glue:figure} key, ...
DIRECTIVE = re.compile(r"^[ \t]*(?:`{3,}|:{3,})\{glue(?::[a-z]*)?\}[ \t]+(\S+)", re.M)
FLOAT = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][-+]?\d+)?")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _glued(nb: dict) -> list[tuple[str, str | None]]:
    """(key, stored text/plain or None) of every glue output, in order."""
    out = []
    for cell in nb["cells"]:
        for o in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            scrap = o.get("metadata", {}).get("scrapbook")
            if scrap:
                text = o.get("data", {}).get(scrap.get("mime_prefix", "") + TEXT)
                out.append((scrap["name"], "".join(text) if isinstance(text, list) else text))
    return out


def _references(nb: dict) -> list[tuple[str | None, str, str | None]]:
    """(document or None for this one, key, format spec or None) of every glue reference in
    the markdown, parsed as myst-nb's roles and directives parse them."""
    refs = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        src = "".join(cell["source"])
        for kind, content in ROLE.findall(src):
            fmt = None
            if kind in ("text", "md") and ":" in content:
                content, fmt = content.rsplit(":", 1)
            doc, _, key = content.rpartition("::")
            refs.append((doc or None, key, fmt if kind == "text" else None))
        for content in DIRECTIVE.findall(src):
            doc, _, key = content.rpartition("::")
            refs.append((doc or None, key, None))
    return refs


BOOK = {p.name: _load(p) for p in NOTEBOOKS}
GLUED = {name: _glued(nb) for name, nb in BOOK.items()}


def _format_problem(text: str, fmt: str) -> str | None:
    """Why {glue:text}`key:fmt` cannot show the stored ``text``, or None. myst-nb evaluates the
    stored repr and converts it by the format's type: int() for d, x, ..., which would silently
    truncate a float, and float() for f, e, g, %."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        value = text
    kind = fmt[-1] if fmt else "s"
    if kind in "bcdoxX" and (not isinstance(value, int) or isinstance(value, bool)):
        return f"the integer format {fmt!r} needs a stored int, not {text}"
    if kind in "eEfFgGn%" and (not isinstance(value, (int, float)) or isinstance(value, bool)):
        return f"the number format {fmt!r} needs a stored int or float, not {text}"
    try:
        format(value, fmt)
    except (ValueError, TypeError) as exc:
        return f"format({text}, {fmt!r}) fails: {exc}"
    return None


def _significant_digits(literal: str) -> int:
    mantissa = re.split("[eE]", literal)[0].lstrip("+-")
    return len(mantissa.replace(".", "").lstrip("0").rstrip("0"))


def test_the_book_has_notebooks():
    assert len(NOTEBOOKS) >= 7, f"expected the book's chapters in {ROOT / 'notebooks'}, found {NOTEBOOKS}"


@pytest.mark.parametrize("name", sorted(BOOK))
def test_every_glue_reference_has_a_stored_value(name):
    problems = []
    for doc, key, fmt in _references(BOOK[name]):
        target = Path(doc).name if doc else name          # notebooks refer to each other by file name
        if target not in GLUED:
            problems.append(f"{name}: reference to {doc}::{key} names a notebook that is not in notebooks/")
            continue
        values = dict(GLUED[target])
        if key not in values:
            problems.append(f"{name}: reference to glue key {key!r}, which {target} does not glue "
                            f"(it glues {sorted(values) or 'nothing'})")
        elif fmt is not None:
            if values[key] is None:
                problems.append(f"{name}: {{glue:text}} of key {key!r} needs a text/plain value; {target} stores none")
                continue
            why = _format_problem(values[key], fmt)
            if why:
                problems.append(f"{name}: {{glue:text}} of key {key!r}: {why}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(BOOK))
def test_no_key_is_glued_twice_in_a_page(name):
    twice = {k: n for k, n in Counter(k for k, _ in GLUED[name]).items() if n > 1}
    assert not twice, "\n".join(f"{name}: glue key {k!r} is glued {n} times; glue each key once per page" for k, n in twice.items())


def test_no_key_is_glued_by_two_notebooks():
    owners: dict[str, set[str]] = {}
    for name, glued in GLUED.items():
        for key, _ in glued:
            owners.setdefault(key, set()).add(name)
    shared = {k: sorted(v) for k, v in owners.items() if len(v) > 1}
    assert not shared, "\n".join(f"glue key {k!r} is glued by {' and '.join(v)}: one key, one notebook"
                                 for k, v in sorted(shared.items()))


@pytest.mark.parametrize("name", sorted(BOOK))
def test_stored_glue_values_are_rounded_literals(name):
    problems = []
    for key, text in GLUED[name]:
        if text is None:
            continue                                        # a figure or html glue: no number to round
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            problems.append(f"{name}: glue key {key!r} stores {text!r}, not a plain Python literal "
                            f"(glue a float(...), int(...) or str, not a numpy scalar or array)")
            continue
        if isinstance(value, float):
            numbers = [text]
        elif isinstance(value, str):
            numbers = FLOAT.findall(value)
        else:
            numbers = []                                    # ints (counts) and bools are exact
        for number in numbers:
            if _significant_digits(number) > MAX_DIGITS:
                problems.append(f"{name}: glue key {key!r} stores {text} with {_significant_digits(number)} "
                                f"significant digits in {number}; round it to the precision the text shows "
                                f"(at most {MAX_DIGITS} digits)")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("literal, digits", [("0.816", 3), ("1100.0", 2), ("-2700", 2), ("5.5e-10", 2),
                                             ("0.30000000000000004", 17), ("123456.0", 6), ("0.0", 0)])
def test_significant_digits_by_hand(literal, digits):
    assert _significant_digits(literal) == digits
