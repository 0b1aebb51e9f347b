/* QCP enrollment: progressive enhancement only; every page works without it.
 * - waiting pages ([data-qcp-status]) ask for news every few seconds and reload when the step changes;
 * - capture forms ([data-camera]) get a live camera through getUserMedia where there is one, with a
 *   framing overlay: « Prendre la photo » freezes the frame and puts it into the form's file input,
 *   then « Envoyer la photo » (or « Reprendre ») shows. With JavaScript, « Envoyer la photo » shows
 *   only once there is a photo to send (taken, or chosen through the file input). */
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

  function captureForm(form) {
    var input = form.querySelector("input[type=file]");
    var send = form.querySelector(".capture-send");
    function hasPhoto() { return input.files && input.files.length > 0; }
    function showSend() { send.hidden = !hasPhoto(); }
    input.addEventListener("change", showSend);
    showSend();
    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.DataTransfer)) { return; }
    var box = form.querySelector(".camera");
    var video = form.querySelector("video");
    var shoot = form.querySelector(".camera-shoot");
    var retake = form.querySelector(".camera-retake");
    var taken = form.querySelector(".camera-taken");
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
            input.dispatchEvent(new Event("change"));
            video.pause();
            shoot.hidden = true;
            retake.hidden = false;
            taken.hidden = false;
            showSend();
            send.focus();
          }, "image/jpeg", 0.9);
        });
        retake.addEventListener("click", function () {
          input.value = "";
          input.dispatchEvent(new Event("change"));
          video.play();
          retake.hidden = true;
          taken.hidden = true;
          shoot.hidden = false;
          showSend();
          shoot.focus();
        });
        form.addEventListener("submit", function () {
          stream.getTracks().forEach(function (t) { t.stop(); });
        });
      })
      .catch(function () { /* no camera or refused: the file input stays */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var waiting = document.querySelector("[data-qcp-status]");
    if (waiting) { pollStatus(waiting); }
    var form = document.querySelector("form[data-camera]");
    if (form) { captureForm(form); }
  });
})();
