"""Tests for l2lib.converter: the live converter's HTML and its ipywidgets form.

Expected values come from :func:`l2lib.conventions.from_book` (tested on its
own in test_conventions.py) and from hand-worked arithmetic (31.6/100 = 0.316).
The JavaScript itself is run in a browser by tests/test_site.py.
"""
import pytest

from l2lib import conventions as C
from l2lib import converter as V


def test_converter_html_is_self_contained_and_labelled():
    h = V.converter(3.16, 100, 0.5, 20).html()
    assert h.startswith('<div class="l2-converter">')
    assert "http" not in h and "src=" not in h and "<link" not in h            # no outside request
    order = [h.index(f'data-l2-input="{k}"') for k in ("lam", "m", "lr", "B")]
    assert order == sorted(order)                                            # λ comes first
    assert h.count("<label") == 4 and h.count("<input") == 4
    for key in C.CONVENTIONS:
        value = C.fmt4(C.from_book(3.16, key, m=100, lr=0.5, batch_size=20))
        assert f"data-l2-output='{key}'>{value}</td>" in h
    assert "l2-frames" not in h
    # the decoupled rows stand apart, under their own heading, after every L2 row
    heading = h.index("Same decay per step, not L2")
    assert h.count("<tbody>") == 2 and h.index("data-l2-output='torch_adamw'") > heading
    assert h.index("data-l2-output='sklearn_logreg_liblinear'") < heading
    assert "The same L2 strength in every convention" not in h
    assert "liblinear also penalizes the intercept" in h


def test_converter_widget_recomputes_in_python():
    conv = V.converter(3.16, 100, 0.5, 20)
    boxes, out = conv.widget().children[0].children, conv.widget().children[1]
    assert "0.0316" in out.value
    boxes[0].value = 31.6                                         # λ
    assert "<td>0.316</td>" in out.value and "<td>0.0316</td>" not in out.value
    boxes[3].value = 500                                          # B > m
    assert "batch_size" in out.value
    bundle = conv._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}             # no kernel here: no widget view


def test_converter_bad_input():
    with pytest.raises(ValueError, match="'batch_size'"):
        V.converter(1.0, 10, 0.1, 11)
    with pytest.raises(ValueError, match="'lr'"):
        V.converter(1.0, 10, 0.0, 5)


def test_converter_text_is_the_table_without_checks():
    lines = repr(V.converter(3.16, 100, 0.5, 20)).splitlines()
    assert lines[0] == "book λ = 3.16, m = 100, η = 0.5, B = 20"
    assert len(lines) == 2 + len(C.KINDS) + len(C.CONVENTIONS)    # header, column names, a heading per kind, rows
    keras = next(line for line in lines if line.startswith("Keras"))
    assert keras.split()[-1] == "0.0158"                          # 3.16 / (2 * 100)
    assert "equal" not in "\n".join(lines)
