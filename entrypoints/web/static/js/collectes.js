/* Seing — the collection wizard's and the collection page's enhancements. Every form also works without this file:
   drag and drop of PDFs and of signers, and placing a signature box with a click, are shortcuts. */
(function () {
  "use strict";

  function submitWith(form, action) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "action";
    input.value = action;
    form.appendChild(input);
    form.submit();
  }

  // Step 1: drop PDFs on the zone; they go through the same file input and form.
  function documents() {
    var zone = document.getElementById("dropzone");
    var input = document.getElementById("fichiers");
    var list = document.getElementById("chosen-files");
    if (!zone || !input) return;
    zone.classList.add("js-dropzone");
    function show() {
      if (!list) return;
      list.textContent = "";
      Array.prototype.forEach.call(input.files, function (file) {
        var item = document.createElement("li");
        item.textContent = file.name;
        list.appendChild(item);
      });
    }
    input.addEventListener("change", show);
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      show();
      submitWith(input.form, "ajouter");
    });
  }

  // Step 4: drag the rows by their handle; the new order is saved at once.
  function signers() {
    var form = document.getElementById("signers-form");
    var rows = document.getElementById("signer-rows");
    if (!form) return;
    // A level is saved in the background: choosing in a dropdown must not reload the page
    // under the keyboard user's feet (WCAG 3.2.2). A refusal falls back to the plain submit.
    var status = document.getElementById("signers-status");
    Array.prototype.forEach.call(form.querySelectorAll(".level-select"), function (select) {
      select.addEventListener("change", function () {
        // URL-encoded, like the form itself (FormData alone would be multipart).
        var data = new URLSearchParams(new FormData(form));
        data.append("action", "enregistrer");
        // form.action would be the buttons named "action": read the attribute.
        fetch(form.getAttribute("action"), {method: "POST", body: data, credentials: "same-origin"}).then(function (response) {
          if (!response.ok) { submitWith(form, "enregistrer"); return; }
          if (status) status.textContent = status.dataset.saved;
        }, function () { submitWith(form, "enregistrer"); });
      });
    });
    if (!rows) return;
    // A new order is saved in the background too, and said in the live region: « Paul Martin :
    // position 2 sur 3. » A screen reader user hears what moved, and the focus stays put.
    function announce(text) {
      if (!status) return;
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 50);
    }
    function renumber() {
      var all = rows.querySelectorAll(".signer-row");
      Array.prototype.forEach.call(all, function (row, index) {
        row.querySelector(".position").textContent = String(index + 1);
        var up = row.querySelector(".move-up");
        var down = row.querySelector(".move-down");
        if (up) up.disabled = index === 0;
        if (down) down.disabled = index === all.length - 1;
      });
    }
    function saveOrder(row) {
      renumber();
      var all = Array.prototype.slice.call(rows.querySelectorAll(".signer-row"));
      var message = (status && status.dataset.moved || "")
        .replace("%(name)s", row.dataset.name || "")
        .replace("%(position)s", String(all.indexOf(row) + 1))
        .replace("%(count)s", String(all.length));
      var data = new URLSearchParams(new FormData(form));
      data.append("action", "ordre");
      fetch(form.getAttribute("action"), {method: "POST", body: data, credentials: "same-origin"}).then(function (response) {
        if (!response.ok) { submitWith(form, "ordre"); return; }
        announce(message);
      }, function () { submitWith(form, "ordre"); });
    }
    Array.prototype.forEach.call(rows.querySelectorAll(".move-up, .move-down"), function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        var row = button.closest(".signer-row");
        var up = button.classList.contains("move-up");
        var other = up ? row.previousElementSibling : row.nextElementSibling;
        if (!other) return;
        rows.insertBefore(row, up ? other : other.nextElementSibling);
        saveOrder(row);
        // The focus stays on the row's button, or its twin when it became disabled at an end.
        (button.disabled ? row.querySelector(up ? ".move-down" : ".move-up") : button).focus();
      });
    });
    if (typeof Sortable === "undefined") return;
    var before = null;
    function order() {
      return Array.prototype.map.call(rows.querySelectorAll("input[name=order]"), function (i) { return i.value; }).join(",");
    }
    Sortable.create(rows, {
      handle: ".drag-handle",
      animation: 150,
      forceFallback: true,
      onStart: function () { before = order(); },
      onEnd: function (event) {
        if (order() === before) return;
        saveOrder(event.item);
      }
    });
    rows.classList.add("sortable");
  }

  // Step 5: boxes drawn over the page images; a click places the chosen signer's box there.
  function placement() {
    var form = document.getElementById("click-form");
    if (!form) return;
    // « Aller à la page »: however long the document, any page is one step away.
    Array.prototype.forEach.call(document.querySelectorAll(".page-jump"), function (jump) {
      jump.addEventListener("submit", function (event) {
        event.preventDefault();
        var target = document.getElementById("document-" + jump.dataset.document + "-page-" + jump.querySelector("input").value);
        if (target) target.scrollIntoView();
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (el) { el.hidden = false; });
    Array.prototype.forEach.call(document.querySelectorAll(".page-canvas"), function (canvas) {
      var width = parseFloat(canvas.dataset.width);
      var height = parseFloat(canvas.dataset.height);
      Array.prototype.forEach.call(canvas.querySelectorAll(".signature-box"), function (box) {
        box.style.left = (100 * parseFloat(box.dataset.x) / width) + "%";
        box.style.bottom = (100 * parseFloat(box.dataset.y) / height) + "%";
        box.style.width = (100 * parseFloat(box.dataset.w) / width) + "%";
        box.style.height = (100 * parseFloat(box.dataset.h) / height) + "%";
      });
      canvas.classList.add("clickable");
      var image = canvas.querySelector("img");
      image.addEventListener("click", function (event) {
        var chosen = document.querySelector("input[name=signataire]:checked");
        if (!chosen) return;
        var rect = image.getBoundingClientRect();
        var u = (event.clientX - rect.left) / rect.width;
        var v = (event.clientY - rect.top) / rect.height;
        // The click is the centre of the box; PDF points start bottom-left.
        var x = u * width - 90;
        var y = (1 - v) * height - 30;
        form.elements.document_id.value = canvas.dataset.document;
        form.elements.signer_id.value = chosen.value;
        form.elements.page.value = canvas.dataset.page;
        form.elements.x.value = x.toFixed(1);
        form.elements.y.value = y.toFixed(1);
        form.submit();
      });
    });
  }

  // The collection page: ↑/↓ answered in place by htmx (the form posts the same without JavaScript).
  // The table is swapped, the live region beside it gets the new position (announced), and the
  // focus stays on the button pressed, or on its twin once the row reached an end of the list.
  function manage() {
    var status = document.getElementById("order-status");
    if (!status) return;
    var pressed = null;
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest(".reorder-form button");
      if (button) pressed = button.value;
    });
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      // A refusal (a signer who signed keeps their place) comes back inside the table: show it.
      if (event.detail.xhr.status >= 400 && event.detail.xhr.status < 500) {
        event.detail.shouldSwap = true;
        event.detail.isError = false;
      }
    });
    document.body.addEventListener("htmx:afterSettle", function () {
      if (!pressed) return;
      var target = pressed.split(":")[1];
      var buttons = Array.prototype.filter.call(
        document.querySelectorAll(".reorder-form button"),
        function (b) { return b.value.split(":")[1] === target; });
      var same = buttons.filter(function (b) { return b.value === pressed && !b.disabled; })[0];
      var other = buttons.filter(function (b) { return !b.disabled; })[0];
      var row = document.getElementById("signataire-" + target);
      (same || other || row || status).focus();
      pressed = null;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    documents();
    signers();
    placement();
    manage();
  });
})();
