/* QCP enrollment: progressive enhancement only; every page works without it.
 * - waiting pages ([data-qcp-status]) ask for news every few seconds and reload when the step changes;
 * - capture forms ([data-camera]) get a live camera through getUserMedia where there is one:
 *   the frame is put into the form's file input and the form is submitted as without JavaScript. */
(function () {
  "use strict";

  function pollStatus(article) {
    var url = article.getAttribute("data-qcp-status");
    var step = article.getAttribute("data-qcp-step");
    var busy = false;
    setInterval(function () {
      if (busy) { return; }
      busy = true;
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          busy = false;
          if (data && data.next_step !== step) { window.location.assign(data.url); }
        })
        .catch(function () { busy = false; });
    }, 3000);
  }

  function camera(form) {
    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.DataTransfer)) { return; }
    var box = form.querySelector(".camera");
    var video = form.querySelector("video");
    var input = form.querySelector("input[type=file]");
    var shoot = form.querySelector(".camera-shoot");
    navigator.mediaDevices.getUserMedia({ video: { facingMode: form.getAttribute("data-camera") }, audio: false })
      .then(function (stream) {
        video.srcObject = stream;
        box.hidden = false;
        shoot.addEventListener("click", function () {
          var canvas = document.createElement("canvas");
          canvas.width = video.videoWidth || 1280;
          canvas.height = video.videoHeight || 720;
          canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
          canvas.toBlob(function (blob) {
            var files = new DataTransfer();
            files.items.add(new File([blob], "capture.jpg", { type: "image/jpeg" }));
            input.files = files.files;
            stream.getTracks().forEach(function (t) { t.stop(); });
            form.submit();
          }, "image/jpeg", 0.9);
        });
      })
      .catch(function () { /* no camera or refused: the file input stays */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var waiting = document.querySelector("[data-qcp-status]");
    if (waiting) { pollStatus(waiting); }
    var form = document.querySelector("form[data-camera]");
    if (form) { camera(form); }
  });
})();
