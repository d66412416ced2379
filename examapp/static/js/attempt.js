// The attempt page: saves every answer as it is given, queues answers in
// localStorage while the link is down and re-sends them in order, counts
// down from the server's remaining seconds (never the PC clock), reports
// departures, and submits at the deadline. Written in plain ES5 + fetch so
// that old exam-room PCs run it.
(function () {
  "use strict";

  var root = document.getElementById("attempt");
  if (!root || !window.fetch) {
    return;
  }
  var cfg = root.dataset;
  var token = cfg.token;
  var storeKey = "examapp.attempt." + cfg.attempt;
  var modeKey = "examapp.attempt-mode";
  var sections = Array.prototype.slice.call(root.querySelectorAll(".attempt-question"));
  var byPosition = {};
  sections.forEach(function (s) { byPosition[s.dataset.position] = s; });

  var statusEl = document.getElementById("save-status");
  var timerEl = document.getElementById("timer");
  var announceEl = document.getElementById("announce");
  var stopped = false;      // taken over, or the attempt is closed: no more saving
  var finishing = false;    // submitting
  var sending = false;
  var online = navigator.onLine !== false;
  var lastError = "";
  var retryTimer = null;
  var backoff = 1000;

  // ---- the queue, kept across reloads and crashes -------------------------
  function loadStore() {
    try {
      return JSON.parse(window.localStorage.getItem(storeKey)) || {};
    } catch (e) {
      return {};
    }
  }
  var stored = loadStore();
  var seq = Math.max(parseInt(cfg.lastSeq, 10) || 0, stored.seq || 0);
  var queue = Array.isArray(stored.queue) ? stored.queue : [];
  var events = Array.isArray(stored.events) ? stored.events : [];

  function persist() {
    try {
      window.localStorage.setItem(storeKey, JSON.stringify({ seq: seq, queue: queue, events: events }));
    } catch (e) {
      // storage full or disabled: answers still go straight to the server
    }
  }

  // ---- reading and writing answers in the page --------------------------------
  function cardInputs(section, selector) {
    return Array.prototype.slice.call(section.querySelectorAll(".question-card " + selector));
  }

  function responseOf(section) {
    var qtype = section.dataset.qtype;
    if (qtype === "single" || qtype === "judge") {
      var checked = cardInputs(section, "input[type=radio]:checked")[0];
      return checked ? checked.value : "";
    }
    if (qtype === "multiple") {
      return cardInputs(section, "input[type=checkbox]:checked").map(function (i) { return i.value; }).sort().join("");
    }
    return cardInputs(section, "input[type=text]").map(function (i) { return i.value; });
  }

  function isAnswered(section) {
    var response = responseOf(section);
    if (Array.isArray(response)) {
      return response.some(function (part) { return part.trim() !== ""; });
    }
    return response !== "";
  }

  function flagOf(section) {
    return section.querySelector(".flag-toggle").checked;
  }

  function applySave(save) {
    // Put a queued (not yet saved) answer back into a freshly loaded page.
    var section = byPosition[save.position];
    if (!section) {
      return;
    }
    var response = save.response;
    if (Array.isArray(response)) {
      cardInputs(section, "input[type=text]").forEach(function (input, i) { input.value = response[i] || ""; });
    } else {
      cardInputs(section, "input[type=radio], input[type=checkbox]").forEach(function (input) {
        input.checked = (response || "").indexOf(input.value) !== -1;
      });
    }
    section.querySelector(".flag-toggle").checked = !!save.flagged;
  }

  function updateNav(section) {
    var link = root.querySelector('.nav-q[data-position="' + section.dataset.position + '"]');
    var answered = isAnswered(section);
    var flagged = flagOf(section);
    link.classList.toggle("btn-success", answered);
    link.classList.toggle("btn-outline-secondary", !answered);
    link.classList.toggle("flagged", flagged);
    link.setAttribute("aria-label", "第 " + section.dataset.position + " 题，" + (answered ? "已作答" : "未作答") +
      (flagged ? "，已标记" : ""));
  }

  // ---- talking to the server ------------------------------------------------------
  function request(method, url, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": cfg.csrf },
      redirect: "manual"
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        // a login page or a proxy error: nothing was saved
        return { ok: false, status: response.status || 0, body: {} };
      }
      return response.json().then(function (data) {
        return { ok: response.ok, status: response.status, body: data };
      });
    });
  }

  // What each question last had from this page (or the server), so that a change that
  // changes nothing (a blank's text saved after a pause and again when leaving the field)
  // is not saved twice.
  var lastGiven = {};
  function givenOf(section) {
    return JSON.stringify([responseOf(section), flagOf(section)]);
  }

  // The saves as sent: each says how long ago it was given (a slow link or an offline queue
  // delays it), so the server records when the examinee answered, not when it arrived.
  function outgoing(saves) {
    var now = Date.now();
    return saves.map(function (s) {
      return { seq: s.seq, position: s.position, response: s.response, flagged: s.flagged,
               age_ms: s.at ? Math.max(0, now - s.at) : 0 };
    });
  }

  function enqueue(section) {
    if (stopped || finishing) {
      return;
    }
    var position = parseInt(section.dataset.position, 10);
    var given = givenOf(section);
    if (lastGiven[position] === given) {
      return;
    }
    lastGiven[position] = given;
    seq += 1;
    queue = queue.filter(function (s) { return s.position !== position; });
    queue.push({ seq: seq, position: position, response: responseOf(section), flagged: flagOf(section),
                 at: Date.now() });
    persist();
    updateNav(section);
    flush();
  }

  function scheduleRetry() {
    if (retryTimer || stopped) {
      return;
    }
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      flush();
    }, backoff);
    backoff = Math.min(backoff * 2, 30000);
  }

  function flush() {
    if (sending || stopped) {
      render();
      return;
    }
    if (!queue.length) {
      flushEvents();
      render();
      return;
    }
    sending = true;
    render();
    var batch = queue.slice(0, 100);
    request("POST", cfg.saveUrl, { token: token, saves: outgoing(batch) }).then(function (res) {
      sending = false;
      if (res.ok && res.body.status === "saved") {
        var done = {};
        res.body.acked.concat(res.body.stale).forEach(function (n) { done[n] = true; });
        queue = queue.filter(function (s) { return !done[s.seq]; });
        persist();
        online = true;
        lastError = "";
        backoff = 1000;
        syncClock(res.body.seconds_left);
        flush();
      } else if (res.status === 409) {
        refused(res.body);
      } else if (res.status === 400) {
        // a save no page should send: drop it rather than retry for ever
        queue = queue.filter(function (s) { return batch.indexOf(s) === -1; });
        persist();
        lastError = res.body.error || "保存失败";
        render();
      } else {
        lastError = res.status === 0 || res.status === 302 ? "登录已失效或网络异常，答案已暂存在本机" : "服务器繁忙，正在重试";
        scheduleRetry();
        render();
      }
    }, function () {
      sending = false;
      online = false;
      scheduleRetry();
      render();
    });
  }

  function refused(body) {
    if (body.reason === "closed") {
      stop("考试时间已到或答卷已提交。");
      window.location.assign(cfg.resultUrl);
      return;
    }
    stop(body.error || "本场考试已在其他页面打开，此页面已停止保存。");
  }

  function stop(message) {
    stopped = true;
    root.classList.add("attempt-stopped");
    var box = document.getElementById("takeover");
    box.textContent = message;
    box.classList.remove("d-none");
    root.querySelectorAll("#questions input, #submit-final").forEach(function (el) { el.disabled = true; });
    render();
  }

  // ---- page events: departures, copy and paste -----------------------------------
  function report(kind, detail) {
    if (stopped || finishing) {
      return;
    }
    events.push({ kind: kind, detail: detail || {} });
    persist();
    flushEvents();
  }

  var sendingEvent = false;
  function flushEvents() {
    if (sendingEvent || stopped || !events.length || queue.length) {
      return;
    }
    sendingEvent = true;
    var next = events[0];
    request("POST", cfg.eventUrl, { token: token, kind: next.kind, detail: next.detail }).then(function (res) {
      sendingEvent = false;
      if (res.ok) {
        events.shift();
        persist();
        if (res.body.submitted) {
          stop("离开考试页面的次数已达上限，答卷已自动提交。");
          window.location.assign(res.body.result_url);
          return;
        }
        if (next.kind === "departure") {
          warnDeparture(res.body.departures, res.body.limit);
        }
        flushEvents();
      } else if (res.status === 409) {
        refused(res.body);
      } else if (res.status === 400) {
        events.shift();
        persist();
      } else {
        scheduleRetry();
      }
    }, function () {
      sendingEvent = false;
      scheduleRetry();
    });
  }

  function warnDeparture(count, limit) {
    var box = document.getElementById("warning");
    var text = "您已离开考试页面 " + count + " 次，离开记录已上报。";
    if (limit) {
      text += "离开达到 " + limit + " 次将自动交卷（还剩 " + Math.max(limit - count, 0) + " 次）。";
    }
    box.textContent = text;
    box.classList.remove("d-none");
  }

  var away = false;
  var unloading = false;  // a reload or navigation is not leaving the exam
  window.addEventListener("beforeunload", function () { unloading = true; });
  window.addEventListener("pagehide", function () { unloading = true; });
  window.addEventListener("pageshow", function () { unloading = false; });
  function leave(how) {
    if (away || unloading) {
      return;
    }
    away = true;
    report("departure", { how: how });
  }
  function back() {
    away = false;
  }
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      leave("hidden");
    } else {
      back();
    }
  });
  window.addEventListener("blur", function () { leave("blur"); });
  window.addEventListener("focus", back);
  var wasFullscreen = !!document.fullscreenElement;
  document.addEventListener("fullscreenchange", function () {
    if (wasFullscreen && !document.fullscreenElement) {
      leave("fullscreen_exit");
    }
    wasFullscreen = !!document.fullscreenElement;
  });
  document.addEventListener("copy", function () { report("copy"); });
  document.addEventListener("paste", function () { report("paste"); });
  window.addEventListener("online", function () {
    online = true;
    backoff = 1000;
    flush();
  });
  window.addEventListener("offline", function () {
    online = false;
    render();
  });

  // ---- the clock: the server's remaining seconds, counted on a monotonic clock ----
  function now() {
    return window.performance && performance.now ? performance.now() : Date.now();
  }
  var endsAt = now() + (parseInt(cfg.seconds, 10) || 0) * 1000;
  var announced = {};
  // how often the page asks the server for its state when nothing else was heard from it
  var RESYNC_MS = 30000;
  var lastSync = now();

  function syncClock(seconds) {
    if (typeof seconds === "number") {
      endsAt = now() + seconds * 1000;
      lastSync = now();
    }
  }

  function secondsLeft() {
    return Math.max(0, Math.round((endsAt - now()) / 1000));
  }

  function format(total) {
    var h = Math.floor(total / 3600);
    var m = Math.floor((total % 3600) / 60);
    var s = total % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return (h ? h + ":" + pad(m) : m) + ":" + pad(s);
  }

  function tick() {
    var left = secondsLeft();
    timerEl.textContent = format(left);
    timerEl.classList.toggle("timer-low", left <= 300);
    [600, 300, 60].forEach(function (mark) {
      if (left <= mark && left > mark - 5 && !announced[mark]) {
        announced[mark] = true;
        announceEl.textContent = "剩余时间 " + mark / 60 + " 分钟";
      }
    });
    if (left === 0 && !finishing && !stopped) {
      announceEl.textContent = "考试时间到，正在交卷";
      finish();
    }
  }

  function resync() {
    // A save's reply carries the server's time too (and a taken-over page's save is refused):
    // ask only when nothing was heard from the server for a while, which spares the server a
    // request per page every half minute on exam day.
    if (stopped || finishing || now() - lastSync < RESYNC_MS - 1000) {
      return;
    }
    request("GET", cfg.stateUrl + "?token=" + encodeURIComponent(token)).then(function (res) {
      if (!res.ok) {
        return;
      }
      if (res.body.state !== "in_progress") {
        stop("答卷已提交。");
        window.location.assign(res.body.result_url);
      } else if (res.body.taken_over) {
        stop("本场考试已在其他页面或电脑上打开，此页面已停止保存，请关闭此页面。");
      } else {
        syncClock(res.body.seconds_left);
      }
    }, function () {});
  }

  // ---- submitting -------------------------------------------------------------------
  function finish() {
    if (finishing) {
      return;
    }
    finishing = true;
    render();
    var attemptSubmit = function () {
      request("POST", cfg.submitUrl, { token: token, saves: outgoing(queue.slice(0, 200)) }).then(function (res) {
        if (res.ok && res.body.status === "submitted") {
          queue = [];
          events = [];
          persist();
          window.location.assign(res.body.result_url);
        } else if (res.status === 409) {
          finishing = false;
          refused(res.body);
        } else {
          window.setTimeout(attemptSubmit, 3000);
        }
      }, function () {
        // the server submits on its own at the deadline; keep trying to hand in the last answers
        window.setTimeout(attemptSubmit, 3000);
      });
    };
    attemptSubmit();
  }

  var confirmBox = document.getElementById("confirm");
  document.getElementById("submit-open").addEventListener("click", function (event) {
    event.preventDefault();
    var unanswered = sections.filter(function (s) { return !isAnswered(s); }).map(function (s) { return s.dataset.position; });
    var flagged = sections.filter(flagOf).map(function (s) { return s.dataset.position; });
    document.getElementById("confirm-unanswered").textContent = unanswered.length
      ? "还有 " + unanswered.length + " 道题未作答：第 " + unanswered.join("、") + " 题。"
      : "所有题目都已作答。";
    document.getElementById("confirm-flagged").textContent = flagged.length
      ? "标记待查的题：第 " + flagged.join("、") + " 题。"
      : "";
    confirmBox.classList.remove("d-none");
    confirmBox.focus();
  });
  document.getElementById("submit-cancel").addEventListener("click", function () {
    confirmBox.classList.add("d-none");
  });
  var confirmError = document.getElementById("confirm-error");
  document.getElementById("submit-final").addEventListener("click", function () {
    if (!online && queue.length) {
      confirmError.textContent = "网络中断，还有答案未保存，请等网络恢复后再交卷";
      confirmError.classList.remove("d-none");
      flush();
      return;
    }
    confirmError.classList.add("d-none");
    finish();
  });

  // ---- one question at a time, or the whole paper ----------------------------------
  var current = 0;
  function show(index) {
    current = Math.max(0, Math.min(sections.length - 1, index));
    sections.forEach(function (s, i) { s.classList.toggle("current", i === current); });
  }
  function setMode(mode) {
    root.classList.toggle("attempt-mode-single", mode === "single");
    root.querySelectorAll("[data-mode]").forEach(function (b) {
      b.classList.toggle("active", b.dataset.mode === mode);
      b.setAttribute("aria-pressed", b.dataset.mode === mode ? "true" : "false");
    });
    try {
      window.localStorage.setItem(modeKey, mode);
    } catch (e) {
      // keep the mode for this page only
    }
  }
  root.querySelectorAll("[data-mode]").forEach(function (button) {
    button.addEventListener("click", function () { setMode(button.dataset.mode); });
  });
  root.querySelectorAll(".step").forEach(function (button) {
    button.addEventListener("click", function () {
      show(current + parseInt(button.dataset.step, 10));
      var target = sections[current].querySelector("input");
      if (target) {
        target.focus();
      }
    });
  });
  root.querySelectorAll(".nav-q").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var index = sections.indexOf(byPosition[link.dataset.position]);
      if (root.classList.contains("attempt-mode-single")) {
        event.preventDefault();
        show(index);
      }
      var target = sections[index].querySelector("input");
      if (target) {
        window.setTimeout(function () { target.focus(); }, 0);
      }
    });
  });

  // ---- wiring the answers ---------------------------------------------------------
  var typing = {};
  sections.forEach(function (section) {
    section.addEventListener("change", function () {
      window.clearTimeout(typing[section.dataset.position]);
      enqueue(section);
    });
    section.addEventListener("input", function (event) {
      if (event.target.type !== "text") {
        return;
      }
      window.clearTimeout(typing[section.dataset.position]);
      typing[section.dataset.position] = window.setTimeout(function () { enqueue(section); }, 800);
    });
  });

  function render() {
    var state;
    var text;
    if (stopped) {
      state = "error";
      text = "已停止保存";
    } else if (finishing) {
      state = "saving";
      text = "正在交卷…";
    } else if (!online && queue.length) {
      state = "offline";
      text = "网络中断：" + queue.length + " 个答案等待发送";
    } else if (lastError) {
      state = "error";
      text = lastError + (queue.length ? "（" + queue.length + " 个答案等待发送）" : "");
    } else if (queue.length || sending) {
      state = "saving";
      text = "正在保存…";
    } else {
      state = "saved";
      text = online ? "已保存" : "已保存（网络中断）";
    }
    if (statusEl.dataset.state !== state || statusEl.textContent !== text) {
      statusEl.dataset.state = state;
      statusEl.textContent = text;
    }
  }

  // ---- start --------------------------------------------------------------------------
  queue.forEach(applySave);
  sections.forEach(function (section) { lastGiven[section.dataset.position] = givenOf(section); });
  sections.forEach(updateNav);
  var savedMode = "all";
  try {
    savedMode = window.localStorage.getItem(modeKey) || "all";
  } catch (e) {
    savedMode = "all";
  }
  setMode(savedMode);
  show(0);
  tick();
  window.setInterval(tick, 1000);
  window.setInterval(resync, RESYNC_MS);
  flush();
})();
