// One question at a time, or the whole paper; the answer sheet's links and the step buttons.
const MODE_KEY = "examapp.attempt-mode";

export function setUpNavigation(root, sheet, storage) {
  const sections = sheet.sections;
  let current = 0;

  function show(index) {
    current = Math.max(0, Math.min(sections.length - 1, index));
    sections.forEach((s, i) => s.classList.toggle("current", i === current));
  }

  function setMode(mode) {
    root.classList.toggle("attempt-mode-single", mode === "single");
    root.querySelectorAll("[data-mode]").forEach((b) => {
      b.classList.toggle("active", b.dataset.mode === mode);
      b.setAttribute("aria-pressed", b.dataset.mode === mode ? "true" : "false");
    });
    try {
      storage.setItem(MODE_KEY, mode);
    } catch (e) {
      // keep the mode for this page only
    }
  }

  root.querySelectorAll("[data-mode]").forEach((button) => {
    button.addEventListener("click", () => setMode(button.dataset.mode));
  });
  root.querySelectorAll(".step").forEach((button) => {
    button.addEventListener("click", () => {
      show(current + parseInt(button.dataset.step, 10));
      const target = sections[current].querySelector("input");
      if (target) {
        target.focus();
      }
    });
  });
  root.querySelectorAll(".nav-q").forEach((link) => {
    link.addEventListener("click", (event) => {
      const index = sections.indexOf(sheet.section(link.dataset.position));
      if (root.classList.contains("attempt-mode-single")) {
        event.preventDefault();
        show(index);
      }
      const target = sections[index].querySelector("input");
      if (target) {
        window.setTimeout(() => target.focus(), 0);
      }
    });
  });

  let savedMode = "all";
  try {
    savedMode = storage.getItem(MODE_KEY) || "all";
  } catch (e) {
    savedMode = "all";
  }
  setMode(savedMode);
  show(0);
}
