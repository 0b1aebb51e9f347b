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

  /* A page counts as seen once half of it has been in the reading area (the screen above the action bar),
   * or, for a page taller than that area, once it has filled half of it. Not « once it crosses the middle
   * of the screen »: at the end of the document the last page stops above the middle (the bar and the
   * footer take the bottom), so it was never counted though the signer had it in front of them. */
  function readingAreaBottom() {
    var bar = document.getElementById("accepter");
    return bar ? Math.min(window.innerHeight, bar.getBoundingClientRect().top) : window.innerHeight;
  }

  var scheduled = false;

  function countSeenPages() {
    scheduled = false;
    var bottom = readingAreaBottom();
    var added = 0;
    document.querySelectorAll("[data-page-seen]:not([data-seen])").forEach(function (page) {
      var box = page.getBoundingClientRect();
      var visible = Math.min(box.bottom, bottom) - Math.max(box.top, 0);
      if (box.height > 0 && visible > 0 && visible >= Math.min(box.height, bottom) / 2) {
        page.setAttribute("data-seen", "");
        added += 1;
      }
    });
    if (added) {
      seen += added;
      showProgress();
    }
  }

  function scheduleCount() {
    if (!scheduled) {
      scheduled = true;
      window.requestAnimationFrame(countSeenPages);
    }
  }

  function watchPages() {
    if (!document.querySelector("[data-page-seen]")) { return; }
    window.addEventListener("scroll", scheduleCount, { passive: true });
    window.addEventListener("resize", scheduleCount);
    document.addEventListener("load", scheduleCount, true);  // a page image without a known height takes its place
    scheduleCount();
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
    document.body.addEventListener("htmx:afterSettle", function () { showProgress(); scheduleCount(); });
  });
})();
