"""The SVG frames of l2lib.slider: nothing lost when frames are split into what they share and what
changes, ids that stay unique on a page of many figures, panels that can stack, and λ values off the
stored grid computed on demand in a live kernel. Each expectation comes from matplotlib's own SVG of
the same figure or from the figure's construction, not from the viewer."""
import io
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import l2lib as L  # noqa: E402
from l2lib import slider as S  # noqa: E402

TEXT = re.compile(r"<text[^>]*>(.*?)</text>", re.S)


def draw(lam, flag=False):
    fig, axs = plt.subplots(1, 2, figsize=(6, 2.5), layout="constrained")
    x = np.linspace(0, 1, 30)
    axs[0].plot(x, x ** (1 + lam), "o-")
    axs[0].set_title(f"λ = {lam:g}")
    axs[0].set_ylim(0, 1)
    axs[1].plot([0, 1], [0, 1 + flag])
    axs[1].set_xlabel("x", fontsize=7.5)
    return fig


def texts(svg: str) -> list[str]:
    return sorted(re.sub(r"<[^>]+>", "", t) for t in TEXT.findall(svg))


def matplotlib_svg(fig) -> str:
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg")
    plt.close(fig)
    return buf.getvalue()


def test_every_frame_keeps_every_text_and_path_of_its_figure():
    lams = [0.0, 0.5, 2.0]
    v = L.lambda_slider(draw, lams, alt="{lam}")
    for lam, frame in zip(lams, v.frames):
        ref = matplotlib_svg(draw(lam))
        assert texts(frame) == texts(ref)
        assert frame.count("<path") + frame.count("<use") == ref.count("<path") + ref.count("<use")
        assert f"λ = {lam:g}" in frame


def test_what_frames_share_is_stored_once():
    v = L.lambda_slider(draw, [0.0, 0.5, 1.0, 2.0], alt="{lam}")
    page = v.html()
    # the axes never change (fixed limits): each of the 4 axes (x and y of 2 panels) shows a tick
    # label "0.6", stored once in the page, not once per frame (4 frames would make it 16)
    assert page.count(">0.6<") == 4
    for slots, frame in zip(v._slots, v.frames):      # what a frame stores: under half of its figure
        assert sum(map(len, slots)) < 0.5 * len(frame)


def test_ids_are_unique_per_figure_and_every_reference_resolves():
    a, b = L.lambda_slider(draw, [0.0, 1.0], alt="{lam}"), L.lambda_slider(draw, [0.0, 3.0], alt="{lam}")
    for v in (a, b):
        for frame in v.frames:
            ids = re.findall(r'\sid="([^"]+)"', frame)
            assert len(ids) == len(set(ids))
            refs = re.findall(r'url\(#([^)]+)\)', frame) + re.findall(r'href="#([^"]+)"', frame)
            assert refs and set(refs) <= set(ids)
            assert all(i.startswith(v.uid) for i in ids)
    ids_a = set(re.findall(r'\sid="([^"]+)"', a.html()))
    ids_b = set(re.findall(r'\sid="([^"]+)"', b.html()))
    assert not ids_a & ids_b


def test_geometry_rounded_to_a_hundredth_of_a_point():
    frame = L.lambda_slider(draw, [0.3], alt="x").frames[0]
    for attr in re.findall(r'\s(?:d|x|y|transform)="([^"]*)"', frame):
        assert not re.search(r"\d\.\d{3}", attr), attr


def test_panels_one_per_axes_inside_the_figure_and_groups_say_their_panel():
    v = L.lambda_slider(draw, [0.0, 1.0], alt="x")
    w, h = v.size
    assert (w, h) == (6 * 72, 2.5 * 72)
    assert len(v.panels) == 2
    (l0, t0, r0, b0), (l1, t1, r1, b1) = v.panels
    assert 0 <= l0 < r0 <= l1 + 5 and r1 <= w and 0 <= t0 < b0 <= h
    page = v.html()
    assert page.count('data-l2-panel="0"') >= 1 and page.count('data-l2-panel="1"') >= 1
    assert v.min_font == 7.5                   # the smallest font the figure was given


def test_off_grid_lambda_is_computed_once_then_kept():
    calls = []

    def compute(lams):
        calls.append(list(lams))
        return [float(lam) for lam in lams]

    def render(result, lam):
        return draw(result)

    v = L.lambda_slider(render, [0.0, 1.0, 2.0], alt="{lam}", compute=compute)
    assert calls == [[0.0, 1.0, 2.0]]          # the whole grid in one vectorized call
    v.widget()
    v.set(lam=0.37)
    assert calls[-1] == [0.37] and "λ = 0.37" in bytes(v._image.value).decode()
    assert "0.37" in v._status.value
    v.set(lam=0.37)
    assert len(calls) == 2                     # kept, not computed again
    v.set(lam=2.0)                             # back on the grid: the stored frame
    assert v._image.value == v.frame(lam=2.0).encode() and len(calls) == 2
    with pytest.raises(ValueError, match=r"The 'lam' parameter must be a float in the range \[0, inf\)"):
        v.set(lam=-1.0)


def test_off_grid_needs_compute_and_compute_must_fit_the_grid():
    v = L.lambda_slider(draw, [0.0, 1.0], alt="x")
    v.widget()
    with pytest.raises(ValueError, match=r"The 'lam' control must take one of \[0.0, 1.0\]. Got 0.5 instead"):
        v.set(lam=0.5)
    with pytest.raises(ValueError, match=r"The 'compute' parameter must return one result per value of 'lam' "
                                         r"\(2\). Got 1 results instead"):
        L.lambda_slider(lambda r, lam: draw(lam), [0.0, 1.0], alt="x", compute=lambda lams: [0.0])
    with pytest.raises(TypeError, match="The 'compute' parameter must be a callable"):
        L.lambda_slider(draw, [0.0, 1.0], alt="x", compute=3)
    with pytest.raises(ValueError, match=r"The 'live' parameter must name a slider among the controls \['lam'\]. "
                                         r"Got 'flag' instead"):
        L.interactive_figure(lambda r, lam, flag: draw(lam, flag), {"lam": [0.0], "flag": [False, True]},
                             alt="x", compute=lambda lams, flag: list(lams), live="flag")


def test_off_grid_with_a_second_control_keeps_the_typed_lambda():
    def compute(lams, flag):
        return [(float(lam), flag) for lam in lams]

    v = L.interactive_figure(lambda r, lam, flag: draw(*r), {"lam": [0.0, 1.0], "flag": [False, True]},
                             alt="x", compute=compute)
    v.widget()
    v.set(lam=0.25)
    v.set(flag=True)
    assert "λ = 0.25" in bytes(v._image.value).decode() and v._off_grid == 0.25


def test_static_figure():
    s = L.static_figure(draw(0.5), alt="two panels")
    page = s.html()
    assert 'role="img" aria-label="two panels"' in page and 'type="range"' not in page
    assert repr(s) == "Figure: two panels" and len(s.panels) == 2
    with pytest.raises(TypeError, match="The 'render' parameter must return a matplotlib Figure"):
        L.static_figure("fig", alt="x")


def test_figures_made_outside_pyplot_or_closed_before_drawing():
    from matplotlib.figure import Figure

    def outside(lam):
        fig = Figure(figsize=(4, 2))
        ax = fig.subplots()
        ax.plot([0, 1], [0, lam])
        return fig

    def closed(lam):
        fig = draw(lam)
        plt.close(fig)
        return fig

    for render in (outside, closed):
        v = L.lambda_slider(render, [0.0, 1.0], alt="x")
        assert len(v.frames) == 2 and v.panels


def test_definition_names_do_not_depend_on_last_bits():
    """matplotlib names a clip path by a hash of its full-precision box: a box moved by 1e-13 (another
    CPU's rounding) gets another hash. The stored names are numbered by first use instead."""
    def render(lam, left=0.125):
        fig, ax = plt.subplots(figsize=(3, 2))
        fig.subplots_adjust(left=left)
        ax.plot([0, 1], [0, lam], "o-")
        return fig

    a = L.lambda_slider(lambda lam: render(lam), [1.0], alt="x").frames[0]
    b = L.lambda_slider(lambda lam: render(lam, 0.125 + 1e-13), [1.0], alt="x").frames[0]
    ids = re.findall(r'\sid="([^"]+)"', a)
    assert ids and ids == re.findall(r'\sid="([^"]+)"', b)
    assert all(re.fullmatch(r"l2f-[0-9a-f]{12}-(g|d\d+)", i) for i in ids), ids


def test_fallback_image_is_the_first_frame_once():
    """The output carries its starting frame once more as an SVG data URI (JupyterLab's sanitized view
    of a stored notebook drops inline SVG); decoded, it is that frame's standalone document."""
    import base64
    import html as html_module

    v = L.interactive_figure(draw, {"lam": [0.0, 1.0, 2.0], "flag": [False, True]}, alt="at {lam}, {flag}",
                             initial={"lam": 1.0, "flag": True})
    out = v.html()
    images = re.findall(r'<img class="l2-fallback" alt="([^"]*)" src="data:image/svg\+xml;base64,([^"]+)"', out)
    assert len(images) == 1
    alt, data = images[0]
    assert html_module.unescape(alt) == "at 1, on"                     # the alt of that frame
    assert base64.b64decode(data).decode("utf-8") == v.frame(lam=1.0, flag=True) != v.frame(lam=0.0, flag=False)
    static = L.static_figure(draw(0.5), alt="one")
    assert static.html().count('<img class="l2-fallback"') == 1


def test_frames_are_drawn_with_the_collector_paused_and_it_is_restored():
    import gc

    seen = []

    def render(result, lam):
        seen.append(gc.isenabled())
        return draw(result)

    assert gc.isenabled()
    v = L.lambda_slider(render, [0.0, 1.0], alt="{lam}", compute=lambda lams: [float(x) for x in lams])
    v.set(lam=0.5)                                        # off the grid: computed and drawn now
    assert seen == [False, False, False] and gc.isenabled()
    gc.disable()
    try:
        v.set(lam=0.25)
        assert seen[-1] is False and not gc.isenabled()   # a collector that was off stays off
    finally:
        gc.enable()
    with pytest.raises(TypeError):                        # a failing render leaves it on too
        L.lambda_slider(lambda result, lam: None, [0.0], alt="{lam}", compute=lambda lams: list(lams))
    assert gc.isenabled()
