// The questions on the page and the answer sheet beside them: reading and restoring answers,
// and marking each question answered, flagged, or not saved (refused by the server, or left
// behind when the page stopped).

function cardInputs(section, selector) {
  return Array.prototype.slice.call(section.querySelectorAll(".question-card " + selector));
}

export function responseOf(section) {
  const qtype = section.dataset.qtype;
  if (qtype === "single" || qtype === "judge") {
    const checked = cardInputs(section, "input[type=radio]:checked")[0];
    return checked ? checked.value : "";
  }
  if (qtype === "multiple") {
    return cardInputs(section, "input[type=checkbox]:checked")
      .map((i) => i.value)
      .sort()
      .join("");
  }
  return cardInputs(section, "input[type=text]").map((i) => i.value);
}

export function isAnswered(section) {
  const response = responseOf(section);
  if (Array.isArray(response)) {
    return response.some((part) => part.trim() !== "");
  }
  return response !== "";
}

export function flagOf(section) {
  return section.querySelector(".flag-toggle").checked;
}

// What a question's button in the answer sheet says besides its colour: a mark people see
// (✓ answered, ! not saved, ? flagged) and the words a screen reader reads.
export function sheetState(position, answered, flagged, notSaved) {
  const state = notSaved ? "答案未保存" : answered ? "已作答" : "未作答";
  return {
    mark: (notSaved ? "!" : answered ? "✓" : "") + (flagged ? "?" : ""),
    label: "第 " + position + " 题，" + state + (flagged ? "，已标记" : ""),
  };
}

// The line above the answer sheet: how many are answered, flagged, not saved.
export function sheetCount(total, answered, flagged, notSaved) {
  let text = "已答 " + answered + " / " + total + " 题";
  if (flagged) {
    text += "，标记 " + flagged + " 题";
  }
  if (notSaved) {
    text += "，" + notSaved + " 题未保存";
  }
  return text;
}

export function createSheet(root, refusedBox) {
  const sections = Array.prototype.slice.call(root.querySelectorAll(".attempt-question"));
  const byPosition = {};
  sections.forEach((s) => {
    byPosition[s.dataset.position] = s;
  });
  const unsaved = {}; // positions whose last answer was refused, or never saved (stopped)
  const refusals = {}; // position -> the server's reason

  function mark(section) {
    const position = section.dataset.position;
    const link = root.querySelector('.nav-q[data-position="' + position + '"]');
    const answered = isAnswered(section);
    const flagged = flagOf(section);
    const notSaved = !!unsaved[position];
    link.classList.toggle("btn-success", answered && !notSaved);
    link.classList.toggle("btn-outline-secondary", !answered && !notSaved);
    link.classList.toggle("btn-danger", notSaved);
    link.classList.toggle("nav-unsaved", notSaved);
    link.classList.toggle("flagged", flagged);
    const state = sheetState(position, answered, flagged, notSaved);
    link.setAttribute("aria-label", state.label);
    const markBox = link.querySelector(".nav-mark");
    if (markBox) {
      markBox.textContent = state.mark;
    }
  }

  function count() {
    const box = root.querySelector("#sheet-count");
    if (!box) {
      return;
    }
    box.textContent = sheetCount(
      sections.length,
      sections.filter(isAnswered).length,
      sections.filter(flagOf).length,
      Object.keys(unsaved).length,
    );
  }

  return {
    sections: sections,
    section: (position) => byPosition[position],
    get unsavedCount() {
      return Object.keys(unsaved).length;
    },
    unsavedPositions: () => Object.keys(unsaved),
    markAll() {
      sections.forEach(mark);
      count();
    },
    // a new answer was queued: it is no longer the refused one
    given(section) {
      delete unsaved[section.dataset.position];
      mark(section);
      count();
    },
    notSaved(position) {
      unsaved[position] = true;
      count();
    },
    refused(position, error) {
      refusals[position] = error || "答案未保存";
      unsaved[position] = true;
      if (byPosition[position]) {
        mark(byPosition[position]);
      }
      count();
    },
    showRefusals() {
      const positions = Object.keys(refusals);
      if (!positions.length) {
        refusedBox.classList.add("d-none");
        return;
      }
      refusedBox.textContent = "以下答案未能保存：" + positions.map((p) => refusals[p]).join("；") + "。";
      refusedBox.classList.remove("d-none");
    },
    // Put a queued (not yet saved) answer back into a freshly loaded page.
    restore(save) {
      const section = byPosition[save.position];
      if (!section) {
        return;
      }
      const response = save.response;
      if (Array.isArray(response)) {
        cardInputs(section, "input[type=text]").forEach((input, i) => {
          input.value = response[i] || "";
        });
      } else {
        cardInputs(section, "input[type=radio], input[type=checkbox]").forEach((input) => {
          input.checked = (response || "").indexOf(input.value) !== -1;
        });
      }
      section.querySelector(".flag-toggle").checked = !!save.flagged;
    },
    // answers given: a choice at once, a blank's text after a pause in typing
    watch(onChange, timers) {
      const typing = {};
      sections.forEach((section) => {
        const position = section.dataset.position;
        section.addEventListener("change", () => {
          timers.clear(typing[position]);
          onChange(section);
        });
        section.addEventListener("input", (event) => {
          if (event.target.type !== "text") {
            return;
          }
          timers.clear(typing[position]);
          typing[position] = timers.set(() => onChange(section), 800);
        });
      });
    },
  };
}
