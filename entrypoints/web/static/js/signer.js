/* The signer's waiting pages (signature being finalised, identity check under way): ask the
 * JSON API for news every few seconds and reload when the state changes. Progressive
 * enhancement only: without JavaScript the « Actualiser » link does the same. */
(function () {
  "use strict";

  function poll(element) {
    var url = element.getAttribute("data-poll-url");
    var field = element.getAttribute("data-poll-field");
    var waiting = element.getAttribute("data-poll-while");
    var target = element.getAttribute("data-poll-target") || window.location.href;
    var busy = false;
    setInterval(function () {
      if (busy) { return; }
      busy = true;
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "omit" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          busy = false;
          if (data && data[field] !== waiting) { window.location.assign(target); }
        })
        .catch(function () { busy = false; });
    }, 3000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var element = document.querySelector("[data-poll-url]");
    if (element) { poll(element); }
  });
})();
