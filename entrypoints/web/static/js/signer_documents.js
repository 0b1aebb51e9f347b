/* The signer's documents page: the pages seen so far in the action bar, and « Aller à mes zones de
 * signature », which goes to the next box at each click. Progressive enhancement only: without
 * JavaScript the bar still holds the box and the button, and the link goes to the first box.
 * htmx replaces the action bar after « Recevoir mon code »: it is filled again after each swap. */
(function () {
  "use strict";

  var seen = 0;
  var nextZone = 0;

  function showProgress() {
    var holder = document.querySelector("[data-reading-progress]");
    if (!holder) { return; }
    var bar = holder.querySelector("progress");
    var label = holder.querySelector("[data-template]");
    bar.value = seen;
    label.textContent = label.getAttribute("data-template").replace("{seen}", String(seen));
    holder.hidden = false;
  }

  function watchPages() {
    var pages = document.querySelectorAll("[data-page-seen]");
    if (!pages.length || !("IntersectionObserver" in window)) { return; }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting && !entry.target.hasAttribute("data-seen")) {
          entry.target.setAttribute("data-seen", "");
          observer.unobserve(entry.target);
          seen += 1;
          showProgress();
        }
      });
    }, { rootMargin: "-45% 0px -45% 0px", threshold: 0 });  // a page counts once it crosses the screen's middle
    pages.forEach(function (page) { observer.observe(page); });
  }

  function goToZone(event) {
    var link = event.target.closest("[data-jump-zones]");
    if (!link) { return; }
    var zones = document.querySelectorAll("[data-signature-zone]");
    if (!zones.length) { return; }
    event.preventDefault();
    var zone = zones[nextZone % zones.length];
    nextZone += 1;
    zone.scrollIntoView({ block: "center" });
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "#" + zone.id);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    showProgress();
    watchPages();
    document.addEventListener("click", goToZone);
    document.body.addEventListener("htmx:afterSettle", showProgress);
  });
})();
