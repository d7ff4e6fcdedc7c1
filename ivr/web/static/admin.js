// The flow editor's line numbers, with the lines that have problems marked. No build step.
(function () {
  const box = document.querySelector(".editor");
  if (!box) return;
  const text = box.querySelector("textarea");
  const gutter = box.querySelector(".gutter");
  const marks = new Set((box.dataset.marks || "").split(",").filter(Boolean).map(Number));
  function draw() {
    const count = text.value.split("\n").length;
    const lines = [];
    for (let n = 1; n <= count; n++) {
      lines.push(marks.has(n) ? "<mark>" + n + "</mark>" : String(n));
    }
    gutter.innerHTML = lines.join("\n");  // numbers only: nothing from the user
    gutter.scrollTop = text.scrollTop;
  }
  text.addEventListener("input", draw);
  text.addEventListener("scroll", () => { gutter.scrollTop = text.scrollTop; });
  draw();
  const lineHeight = parseFloat(getComputedStyle(text).lineHeight) || 16;
  function show(line) {
    text.scrollTop = Math.max(0, (line - 5) * lineHeight);
    gutter.scrollTop = text.scrollTop;
  }
  const first = Math.min(...marks);
  if (isFinite(first)) show(first);
  // from the diagram: ?node=NAME selects that node's line under `nodes:`
  const wanted = new URLSearchParams(location.search).get("node");
  if (wanted && !isFinite(first)) {
    const lines = text.value.split("\n");
    const inNodes = lines.findIndex((l) => /^nodes:\s*$/.test(l));
    const at = lines.findIndex((l, i) => i > inNodes && l.trim() === wanted + ":" &&
                                /^\s+/.test(l));
    if (inNodes >= 0 && at >= 0) {
      const start = lines.slice(0, at).join("\n").length + (at ? 1 : 0);
      text.focus();
      text.setSelectionRange(start, start + lines[at].length);
      show(at + 1);
    }
  }
})();
