/* File inputs in French: the native control (« Choose File / No file chosen » in the browser's language)
 * is visually hidden but stays focusable and labelled; a label styled as a button opens it and the chosen
 * file's name is written beside it. Without JavaScript the native control shows. */
(function () {
  "use strict";

  function enhance(picker) {
    var input = document.getElementById(picker.getAttribute("data-for"));
    var name = picker.querySelector(".file-picker-name");
    if (!input || !name) return;
    function show() {
      var count = input.files ? input.files.length : 0;
      if (count === 0) name.textContent = picker.getAttribute("data-none");
      else if (count === 1) name.textContent = input.files[0].name;
      else name.textContent = picker.getAttribute("data-many").replace("{n}", String(count));
    }
    input.classList.add("file-picker-input");
    picker.classList.add("enhanced");
    input.addEventListener("change", show);
    show();
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".file-picker[data-for]"), enhance);
  });
})();
