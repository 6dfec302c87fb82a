// The sentence callers will hear, in both languages, shown while staff fill in a closure, an extra opening or a
// special day. A file of its own (no inline script), so that the console's CSP needs no 'unsafe-inline'.
(function () {
  "use strict";
  var form = document.getElementById("edit-form");
  var shown = document.getElementById("preview");
  if (!form || !shown || !form.dataset.preview) { return; }
  var timer = null;
  var asked = 0;
  function ask() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token" && typeof value === "string") { params.append(name, value); }
    });
    var mine = ++asked;
    fetch(form.dataset.preview + "?" + params.toString(), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (said) {
        if (mine !== asked) { return; }  // an older answer arriving late never overwrites a newer one
        ["zh", "ko"].forEach(function (code) {
          var line = document.getElementById("preview-" + code);
          if (line) { line.textContent = said[code] || ""; }
        });
        var note = document.getElementById("preview-note");
        if (note) { note.textContent = said.note || ""; }
      })
      .catch(function () { /* the preview is a help; the check still says everything */ });
  }
  function soon() {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 300);
  }
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  ask();
})();
