"""The live converter: enter the book's λ, m, η and B, read every framework's value.

In a Jupyter kernel :func:`converter` shows an ipywidgets form computed in
Python by :func:`l2lib.conventions.from_book`; on a static page (and in the
stored notebook) it is self-contained HTML whose inline JavaScript
(``l2lib/static/converter.js``) evaluates the same formulas, the
:attr:`l2lib.conventions.Convention.js` expressions.
"""
from __future__ import annotations

import json
from html import escape
from importlib import resources

from ._validate import check_int, check_lam, check_positive
from . import conventions

__all__ = ["Converter", "converter"]

_INPUTS = (("lam", "λ (this book)", "0", "any"), ("m", "m (training examples)", "1", "1"),
           ("lr", "η (learning rate)", "0", "any"), ("B", "B (minibatch size)", "1", "1"))

# Printed under the table: what the rows' values do and do not promise.
_NOTE = ("Decay rows give the book's shrink per step (and its step under plain SGD), not the book's cost "
         "with momentum or Adam. liblinear also penalizes the intercept; so do PyTorch, Keras 3 optimizers "
         "and Optax unless the biases are left out of the decay.")

# The converter's script, shipped as package data; %(formulas)s is replaced by the JS formulas.
_CONV_JS = resources.files(__package__).joinpath("static/converter.js").read_text(encoding="utf-8")


class Converter:
    """Enter λ, m, η and B; read every framework's value. See :func:`converter`."""

    def __init__(self, lam: float, m: int, lr: float, batch_size: int):
        self.lam = check_lam(lam)
        self.m = check_int("m", m)
        self.lr = check_positive("lr", lr)
        self.batch_size = check_int("batch_size", batch_size, 1, self.m)
        self._widget = None

    def values(self) -> dict[str, float]:
        """Every convention's value for the current inputs, by key."""
        return {k: conventions.from_book(self.lam, k, m=self.m, lr=self.lr, batch_size=self.batch_size)
                for k in conventions.CONVENTIONS}

    def __repr__(self) -> str:
        return conventions.conversion_table(self.lam, self.m, self.lr, self.batch_size, check=False).text(checks=False)

    def html(self) -> str:
        """Self-contained HTML: labelled inputs, a table of outputs and inline JavaScript, no outside requests.

        The root element has class ``l2-converter``; inputs carry ``data-l2-input``
        (``lam``, ``m``, ``lr``, ``B``) and output cells ``data-l2-output`` (the
        convention keys). The rows are grouped, one ``<tbody>`` per
        :data:`l2lib.conventions.KINDS` entry under a heading row: the conventions
        with the book's cost first, the decoupled ones (same decay per step, not
        L2) apart. The script recomputes every :attr:`l2lib.conventions.Convention.js`
        formula in the browser on each input.
        """
        e = escape
        start = {"lam": self.lam, "m": self.m, "lr": self.lr, "B": self.batch_size}
        fields = "".join(
            f'<label style="margin-right:1em">{e(text)} <input type="number" data-l2-input="{k}" '
            f'value="{e(conventions.fmt4(start[k]))}" min="{lo}" step="{step}" style="width:7em"></label>'
            for k, text, lo, step in _INPUTS)
        vals = self.values()
        ncol = 4
        groups = [(heading, [(k, c) for k, c in conventions.CONVENTIONS.items() if c.kind == kind])
                  for kind, heading in conventions.KINDS.items()]
        rows = "".join(
            f"<tbody><tr><th scope='colgroup' colspan='{ncol}' style='text-align:left'>{e(heading)}</th></tr>"
            + "".join(f"<tr><th scope='row'>{e(c.where)}</th><td><code>{e(c.parameter)}</code></td>"
                      f"<td>{e(c.formula)}</td><td data-l2-output='{k}'>{e(conventions.fmt4(vals[k]))}</td></tr>"
                      for k, c in members)
            + "</tbody>" for heading, members in groups if members)
        formulas = "{" + ",".join(f"{json.dumps(k)}:function(lam,m,lr,B){{return {c.js};}}"
                                  for k, c in conventions.CONVENTIONS.items()) + "}"
        return (f'<div class="l2-converter"><div class="l2-conv-inputs">{fields}</div>'
                f'<table class="l2-conv-table"><caption>The book\'s λ in every convention: the same L2 cost, '
                f"or only the same decay per step</caption>"
                f"<thead><tr><th scope='col'>where</th><th scope='col'>parameter</th><th scope='col'>formula</th>"
                f"<th scope='col'>value</th></tr></thead>{rows}</table>"
                f'<p class="l2-conv-note">{e(_NOTE)}</p>'
                f'<p class="l2-conv-status" role="status" aria-live="polite"></p>'
                f"<script>{_CONV_JS % {'formulas': formulas}}</script></div>")

    def widget(self):
        """The ipywidgets version: four number boxes and an HTML table recomputed in Python on every change."""
        if self._widget is not None:
            return self._widget
        import ipywidgets as w

        boxes = {"lam": w.BoundedFloatText(value=self.lam, min=0.0, max=1e12, description="λ"),
                 "m": w.BoundedIntText(value=self.m, min=1, max=10**9, description="m"),
                 "lr": w.BoundedFloatText(value=self.lr, min=1e-12, max=1e6, description="η"),
                 "B": w.BoundedIntText(value=self.batch_size, min=1, max=10**9, description="B")}
        out = w.HTML(conventions.conversion_table(self.lam, self.m, self.lr, self.batch_size, check=False).html())

        def update(_change=None) -> None:
            try:
                t = conventions.conversion_table(boxes["lam"].value, boxes["m"].value, boxes["lr"].value,
                                                 boxes["B"].value, check=False)
                out.value = t.html()
            except (TypeError, ValueError) as err:
                out.value = f"<p role='status'>{escape(str(err))}</p>"

        for b in boxes.values():
            b.observe(update, names="value")
        self._widget = w.VBox([w.HBox(list(boxes.values())), out])
        return self._widget

    def _repr_mimebundle_(self, include=None, exclude=None):
        from .slider import in_kernel

        bundle = {"text/plain": repr(self), "text/html": self.html()}
        if in_kernel():
            bundle.update(self.widget()._repr_mimebundle_())
            bundle["text/plain"] = repr(self)
        return bundle


def converter(lam: float = 1.0, m: int = 100, lr: float = 0.1, batch_size: int = 32) -> Converter:
    """A live converter: number boxes for λ, m, η and B and a table of every framework's value.

    In a Jupyter kernel it is an ipywidgets form computed by :func:`l2lib.conventions.from_book`; on
    a static page (and in the stored notebook) it is self-contained HTML whose
    inline JavaScript evaluates the same formulas (:attr:`l2lib.conventions.Convention.js`).
    """
    return Converter(lam, m, lr, batch_size)
