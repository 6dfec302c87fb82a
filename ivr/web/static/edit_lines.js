// The raw editor's line numbers: the gutter beside the text follows its lines and its scrolling, and a
// problem's place ("第50行", "50행") takes the cursor to that line. A file of its own, never an inline
// script, so that the Content-Security-Policy may forbid inline scripts.
(function () {
  "use strict";
  var gutter = document.getElementById("gutter");
  var text = gutter && gutter.parentNode.querySelector("textarea");
  if (!text) { return; }

  function lineCount() { return text.value.split("\n").length; }

  function renumber() {
    // Keep the marks of the lines a problem was found on; add or drop numbers as lines come and go.
    var have = gutter.children.length;
    var want = lineCount() + 1;
    for (var n = have + 1; n <= want; n += 1) {
      var span = document.createElement("span");
      span.id = "line-" + n;
      span.textContent = String(n);
      gutter.appendChild(span);
      gutter.appendChild(document.createTextNode("\n"));
    }
    while (gutter.children.length > want) {
      var last = gutter.lastElementChild;
      if (last.nextSibling) { gutter.removeChild(last.nextSibling); }
      gutter.removeChild(last);
    }
    if (text.rows < want) { text.rows = want; }
  }

  function goTo(line) {
    var lines = text.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i += 1) { start += lines[i].length + 1; }
    var end = start + (lines[line - 1] || "").length;
    text.focus();
    text.setSelectionRange(start, end);
    var mark = document.getElementById("line-" + line);
    if (mark) { mark.scrollIntoView({block: "center"}); }
  }

  text.addEventListener("input", renumber);
  text.addEventListener("scroll", function () { gutter.scrollTop = text.scrollTop; });
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.goto-line") : null;
    if (!link) { return; }
    event.preventDefault();
    goTo(parseInt(link.getAttribute("data-line"), 10));
  });
  renumber();
}());
