// The mock exam page: answers are kept in the browser (and in localStorage, so a reload loses
// nothing), saved to the server a moment after each change and every 20 seconds, and sent
// whole at hand-in; the timer hands in at 0. No key is ever on this page.
(function () {
  "use strict";
  var root = document.getElementById("mock");
  if (!root) {
    return;
  }
  var storeKey = "mock-answers-" + root.dataset.mock;
  var sections = Array.prototype.slice.call(document.querySelectorAll(".attempt-question"));
  var status = document.getElementById("save-status");
  var refused = document.getElementById("refused");
  var timer = document.getElementById("timer");
  var dirty = false;
  var saving = false;
  var finished = false;
  var saveTimer = null;

  function inputs(section, selector) {
    return Array.prototype.slice.call(section.querySelectorAll(".question-card " + selector));
  }

  function responseOf(section) {
    var qtype = section.dataset.qtype;
    if (qtype === "single" || qtype === "judge") {
      var checked = inputs(section, "input[type=radio]:checked")[0];
      return checked ? checked.value : "";
    }
    if (qtype === "multiple") {
      return inputs(section, "input[type=checkbox]:checked").map(function (i) { return i.value; }).sort().join("");
    }
    return inputs(section, "input[type=text]").map(function (i) { return i.value; });
  }

  function isAnswered(response) {
    if (Array.isArray(response)) {
      return response.some(function (part) { return part.trim() !== ""; });
    }
    return response !== "";
  }

  function restore(section, response) {
    var qtype = section.dataset.qtype;
    if (qtype === "blank") {
      inputs(section, "input[type=text]").forEach(function (input, i) {
        input.value = Array.isArray(response) && typeof response[i] === "string" ? response[i] : "";
      });
      return;
    }
    inputs(section, "input").forEach(function (input) {
      input.checked = typeof response === "string" && response.indexOf(input.value) !== -1 && input.value !== "";
    });
  }

  function answers() {
    return sections.map(function (section) {
      return { position: Number(section.dataset.position), response: responseOf(section) };
    });
  }

  function refreshSheet() {
    var count = 0;
    sections.forEach(function (section) {
      var answered = isAnswered(responseOf(section));
      count += answered ? 1 : 0;
      var nav = document.querySelector('.nav-q[data-position="' + section.dataset.position + '"]');
      if (nav) {
        nav.classList.toggle("btn-success", answered);
        nav.classList.toggle("btn-outline-secondary", !answered);
      }
    });
    document.getElementById("sheet-count").textContent = "已答 " + count + " / " + sections.length + " 题";
    document.getElementById("confirm-unanswered").textContent =
      count === sections.length ? "全部题目都已作答。" : "还有 " + (sections.length - count) + " 题未作答，未作答的题不得分。";
  }

  function keepLocally() {
    try {
      localStorage.setItem(storeKey, JSON.stringify(answers()));
    } catch (e) {
      // storage full or blocked: the periodic save still sends the answers
    }
  }

  function setStatus(text, state) {
    status.textContent = text;
    status.dataset.state = state;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": root.dataset.csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function showRefusal(data) {
    refused.textContent = (data && data.error) || "操作未成功，请稍后再试。";
    refused.classList.remove("d-none");
  }

  function save() {
    if (!dirty || saving || finished) {
      return;
    }
    saving = true;
    dirty = false;
    setStatus("正在保存…", "saving");
    post(root.dataset.saveUrl, { answers: answers() }).then(function (reply) {
      saving = false;
      if (reply.ok) {
        setStatus(dirty ? "有未保存的答案" : "答案已保存", dirty ? "pending" : "saved");
        if (!dirty) {
          try { localStorage.removeItem(storeKey); } catch (e) { /* nothing kept */ }
        }
      } else if (reply.status === 409 && reply.data.reason === "closed") {
        handIn();
      } else {
        dirty = true;
        setStatus("保存未成功", "error");
        showRefusal(reply.data);
      }
    }, function () {
      saving = false;
      dirty = true;
      setStatus("网络中断，答案暂存在本机", "offline");
    });
  }

  function changed() {
    dirty = true;
    keepLocally();
    refreshSheet();
    setStatus("有未保存的答案", "pending");
    clearTimeout(saveTimer);
    saveTimer = setTimeout(save, 1500);
  }

  function handIn() {
    if (finished) {
      return;
    }
    finished = true;
    setStatus("正在交卷…", "saving");
    post(root.dataset.submitUrl, { answers: answers() }).then(function (reply) {
      // handed in now, or before (the mock is over): done. Any other refusal (practice closed
      // city-wide, an exam started in another tab) keeps the answers here and says why.
      if (reply.ok || (reply.status === 409 && reply.data && reply.data.reason === "closed")) {
        try { localStorage.removeItem(storeKey); } catch (e) { /* nothing kept */ }
        window.location.href = (reply.data && reply.data.review_url) || root.dataset.reviewUrl;
      } else {
        finished = false;
        setStatus("交卷未成功", "error");
        showRefusal(reply.data);
      }
    }, function () {
      finished = false;
      setStatus("网络中断，请稍后再点“确认交卷”", "offline");
    });
  }

  // answers from before a reload that the server had not yet taken
  try {
    var kept = JSON.parse(localStorage.getItem(storeKey) || "null");
    if (Array.isArray(kept)) {
      kept.forEach(function (answer) {
        var section = document.getElementById("q" + answer.position);
        if (section) {
          restore(section, answer.response);
        }
      });
      dirty = true;
    }
  } catch (e) {
    // nothing usable kept
  }

  document.getElementById("questions").addEventListener("input", function (event) {
    if (event.target.closest(".question-card")) {
      changed();
    }
  });
  document.getElementById("submit-form").addEventListener("submit", function (event) {
    event.preventDefault();
    handIn();
  });

  var deadline = Date.now() + Number(root.dataset.seconds) * 1000;
  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    timer.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    if (left === 0) {
      handIn();
      return;
    }
    setTimeout(tick, 1000);
  }

  refreshSheet();
  setInterval(save, 20000);
  save();
  tick();
})();
