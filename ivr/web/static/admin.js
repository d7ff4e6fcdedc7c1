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
  const first = Math.min(...marks);
  if (isFinite(first)) {
    const lineHeight = parseFloat(getComputedStyle(text).lineHeight) || 16;
    text.scrollTop = Math.max(0, (first - 5) * lineHeight);
    gutter.scrollTop = text.scrollTop;
  }
})();
