"""Bad input to the sliders (l2lib.slider) gets a TypeError/ValueError naming the parameter, what is
allowed and what was received (issue 12); valid input behaves as before."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import l2lib as L  # noqa: E402


class Render:
    """A render function that counts its calls."""

    def __init__(self, returns=None):
        self.calls = 0
        self.returns = returns

    def __call__(self, lam=0.0, flag=False):
        self.calls += 1
        fig, ax = plt.subplots(figsize=(1, 1))
        ax.plot([0, 1], [0, lam + flag])
        if self.returns == "none":
            plt.close(fig)
            return None
        if self.returns == "axes":
            return ax
        return fig


# ---- render must return a Figure
@pytest.mark.parametrize("returns,got", [("none", "Got None instead"), ("axes", "Got <Axes")])
def test_render_not_returning_a_figure(returns, got):
    with pytest.raises(TypeError, match=f"The 'render' parameter must return a matplotlib Figure. {got}"):
        L.lambda_slider(Render(returns), [0.0, 1.0], alt="x")
    with pytest.raises(TypeError, match="'render' parameter must return a matplotlib Figure"):
        L.interactive_figure(Render(returns), {"lam": [0.0, 1.0]}, alt="x")


def test_render_not_callable():
    with pytest.raises(TypeError, match="The 'render' parameter must be a callable returning a matplotlib "
                                        "Figure. Got 3 instead"):
        L.lambda_slider(3, [0.0, 1.0], alt="x")
    with pytest.raises(TypeError, match="'render' parameter must be a callable"):
        L.interactive_figure(None, {"lam": [0.0]}, alt="x")


# ---- alt templates
def test_alt_format_spec_formats_the_value_and_a_plain_field_gives_the_label():
    v = L.lambda_slider(Render(), [0.0, 0.5, 2.0], alt="λ = {lam:.2f}")
    assert v.alts == ["λ = 0.00", "λ = 0.50", "λ = 2.00"]
    v = L.lambda_slider(Render(), [0.001, 2e-5], alt="{lam} / {lam:.1e} / {lam!s} / {lam!r}")
    assert v.alts == ["0.001 / 1.0e-03 / 0.001 / '0.001'", "2e-5 / 2.0e-05 / 2e-5 / '2e-5'"]
    v = L.interactive_figure(Render(), {"lam": [1.0], "flag": [False, True]}, alt="{flag} {flag:d} {lam:g}")
    assert v.alts == ["off 0 1", "on 1 1"]


@pytest.mark.parametrize("alt,match", [
    ("λ = {lambda}", r"The 'alt' parameter must use only the control names \['lam'\] as fields. "
                     r"Got 'λ = \{lambda\}' \(field 'lambda'\) instead"),
    ("λ = {lam:.2q}", r"The 'alt' parameter must be a str.format template whose fields format the control values"),
    ("λ = {lam.foo}", r"'alt' parameter must be a str.format template"),
    ("λ = {0}", r"'alt' parameter must be a str.format template"),
])
def test_bad_alt_template_named_before_rendering(alt, match):
    r = Render()
    with pytest.raises(ValueError, match=match):
        L.lambda_slider(r, [0.0, 1.0], alt=alt)
    assert r.calls == 0


def test_alt_not_a_str():
    with pytest.raises(TypeError, match="The 'alt' parameter must be a str. Got None instead"):
        L.interactive_figure(Render(), {"lam": [0.0]}, alt=None)


# ---- FrameViewer.set / index with values off the grid or unknown controls
def test_set_off_the_grid_names_the_control_and_moves_nothing():
    v = L.interactive_figure(Render(), {"lam": [0.0, 1.0], "flag": [False, True]}, alt="x")
    v.widget()
    with pytest.raises(ValueError, match=r"The 'lam' control must take one of \[0.0, 1.0\]. Got 0.5 instead"):
        v.set(flag=True, lam=0.5)
    assert v._image.value == v.frames[0].encode()   # flag=True was not applied either
    assert v._inputs["flag"].value is False
    v.set(lam=1.0, flag=True)
    assert v._image.value == v.frames[3].encode()


def test_unknown_control_name_in_set_and_index():
    v = L.lambda_slider(Render(), [0.0, 1.0], alt="x")
    with pytest.raises(ValueError, match=r"The control names must be among \['lam'\]. Got 'lambda' instead"):
        v.set(**{"lambda": 1.0})
    with pytest.raises(ValueError, match=r"control names must be among \['lam'\]. Got 'lamb' instead"):
        v.index(lamb=1.0)


# ---- a scalar where a list belongs
@pytest.mark.parametrize("lams", [0.1, 3, np.array(0.5), "0.1"])
def test_scalar_lams(lams):
    with pytest.raises(TypeError, match=r"The 'lams' parameter must be a list of floats \(the slider's λ "
                                        r"values\). Got .* instead"):
        L.lambda_slider(Render(), lams, alt="x")


@pytest.mark.parametrize("opts,got", [(0.1, "'lam': 0.1"), ("abc", "'lam': 'abc'"), (None, "'lam': None")])
def test_scalar_control_values(opts, got):
    with pytest.raises(TypeError, match=f"The 'controls' parameter must be a dict mapping each control name "
                                        f"to a list of values. Got {got} instead"):
        L.interactive_figure(Render(), {"lam": opts}, alt="x")


def test_any_iterable_of_values_still_works():
    v = L.lambda_slider(Render(), np.array([0.0, 1.0]), alt="{lam}")
    w = L.interactive_figure(Render(), {"lam": (x / 2 for x in range(3))}, alt="{lam}")
    assert v.alts == ["0", "1"] and w.alts == ["0", "0.5", "1"]


# ---- misspelt keys in initial / labels
@pytest.mark.parametrize("param", ["initial", "labels"])
def test_unknown_key_in_initial_or_labels(param):
    r = Render()
    kw = {param: {"lambda": 1.0 if param == "initial" else "λ"}}
    with pytest.raises(ValueError, match=rf"The '{param}' parameter must have keys among the control names "
                                         rf"\['lam', 'flag'\]. Got the key 'lambda' instead"):
        L.interactive_figure(r, {"lam": [0.0, 1.0], "flag": [False, True]}, alt="x", **kw)
    assert r.calls == 0


def test_initial_and_labels_types_and_off_grid_initial():
    with pytest.raises(TypeError, match="The 'labels' parameter must be a dict control name -> display name, "
                                        "or None. Got 'λ' instead"):
        L.interactive_figure(Render(), {"lam": [0.0]}, alt="x", labels="λ")
    with pytest.raises(TypeError, match="The 'labels' parameter must map control names to str. Got 'lam': 5"):
        L.interactive_figure(Render(), {"lam": [0.0]}, alt="x", labels={"lam": 5})
    r = Render()
    with pytest.raises(ValueError, match=r"The 'lam' control must take one of \[0.0, 1.0\]. Got 2.0 instead"):
        L.lambda_slider(r, [0.0, 1.0], alt="x", initial=2.0)
    assert r.calls == 0                                   # checked before any frame is drawn


def test_valid_initial_and_labels_still_used():
    v = L.interactive_figure(Render(), {"lam": [0.0, 1.0], "flag": [False, True]}, alt="x",
                             labels={"lam": "λ"}, initial={"flag": True})
    assert v.labels == {"lam": "λ", "flag": "flag"} and v.index() == 1
