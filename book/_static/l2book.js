// Small reader aids on every page (see book/_static/l2book.css).
// 1. Every button has an accessible name: sphinx-copybutton's copy buttons carry only an icon,
//    so each gets the label "Copy code".
// 2. A display equation or code block wider than its column scrolls sideways in its own box;
//    the edge with more to see fades out (classes l2-more-left / l2-more-right, kept up to date
//    on scroll and on resize), and the box takes keyboard focus so the arrow keys scroll it.
(function () {
  "use strict";
  function nameCopyButtons() {
    document.querySelectorAll("button.copybtn:not([aria-label])").forEach(function (b) {
      b.setAttribute("aria-label", "Copy code");
    });
  }
  function mark(el) {
    var room = el.scrollWidth - el.clientWidth;
    var over = room > 1;
    // a box that scrolls is reachable from the keyboard (then the arrow keys scroll it)
    if (over && !el.hasAttribute("tabindex")) { el.setAttribute("tabindex", "0"); }
    el.classList.toggle("l2-more-left", over && el.scrollLeft > 1);
    el.classList.toggle("l2-more-right", over && el.scrollLeft < room - 1);
  }
  var resize = typeof ResizeObserver === "function"
    ? new ResizeObserver(function (entries) { entries.forEach(function (e) { mark(e.target); }); })
    : null;
  function watch(selector) {
    document.querySelectorAll(selector).forEach(function (el) {
      if (el.dataset.l2Scroll) { mark(el); return; }
      el.dataset.l2Scroll = "1";
      el.addEventListener("scroll", function () { mark(el); }, { passive: true });
      if (resize) { resize.observe(el); }
      mark(el);
    });
  }
  var tries = 0;
  function watchEquations() {
    var mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) {
      mj.startup.promise.then(function () { watch('mjx-container[display="true"]'); });
    } else if (tries++ < 200) {
      setTimeout(watchEquations, 50);
    }
  }
  function start() {
    nameCopyButtons();
    watch("div.highlight pre");
    if (document.querySelector(".math")) { watchEquations(); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  window.addEventListener("load", function () { nameCopyButtons(); watch("div.highlight pre"); });
  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-l2-scroll]").forEach(mark);
  });
}());
