/* Accessible names for controls that other libraries draw in the browser, after the page has
   loaded (Jupyter Book 1.x adds every JS file in _static/ to every page). Checked by
   checks/test_a11y.py (axe-core, WCAG 2 A/AA):
   - the answer box of a numeric self-check question (jupyterquiz) gets the question as its label;
   - ipywidgets sliders (role="slider"), text boxes and dropdowns take the text of their widget
     label (the static snapshot of a live explorer on the published page);
   - an ipywidgets image (the frozen figure of a live explorer) gets an alternative text;
   - a matplotlib animation player (to_jshtml) names its frame image and its frame slider. */
(function () {
  "use strict";
  function text(el) { return el ? (el.textContent || "").replace(/\s+/g, " ").trim() : ""; }
  function name(el, label) {
    if (!el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby") && label) {
      el.setAttribute("aria-label", label);
    }
  }
  function fix() {
    document.querySelectorAll(".Quiz input, .Quiz textarea").forEach(function (el) {
      var quiz = el.closest(".Quiz");
      var q = quiz ? quiz.querySelector(".QuizQuestion, .Question, p") : null;
      name(el, "Your answer" + (q ? ": " + text(q).slice(0, 120) : ""));
    });
    document.querySelectorAll(".widget-inline-hbox, .widget-box").forEach(function (box) {
      var label = text(box.querySelector(":scope > .widget-label"));
      if (!label) { return; }
      box.querySelectorAll("[role='slider'], input, select, textarea").forEach(function (el) {
        name(el, label);
      });
    });
    document.querySelectorAll("img.widget-image:not([alt]), .widget-image img:not([alt])")
      .forEach(function (img) {
        img.setAttribute("alt", "Figure of a live explorer, as it was when the book was built " +
          "(run the lab on Binder, Colab or locally to change it)");
      });
  }
  function fixAnimations() {
    document.querySelectorAll("img[id^='_anim_img']:not([alt])").forEach(function (img) {
      var fig = img.closest(".cell_output, figure");
      var cap = fig ? fig.parentElement.querySelector("figcaption") : null;
      img.setAttribute("alt", "Animation frame" + (cap ? ": " + text(cap).slice(0, 200) : ""));
    });
    document.querySelectorAll("input[id^='_anim_slider']").forEach(function (el) {
      name(el, "Animation frame");
    });
  }
  function start() {
    fixAnimations();
    fix();
    new MutationObserver(function () { fix(); fixAnimations(); }).observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
