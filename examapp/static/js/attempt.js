// The attempt page: saves every answer as it is given, queues answers in
// localStorage while the link is down and re-sends them in order, counts
// down from the server's remaining seconds (never the PC clock), reports
// departures, and submits at the deadline. Written in plain ES5 + fetch so
// that old exam-room PCs run it.
//
// Nothing the page queued is thrown away on its own say: a save leaves the
// queue only when the server has named it (stored, superseded, kept for
// review as a late delivery, or refused with a reason the page shows). A
// session that ended is not a bad answer: the page keeps the queue, asks for
// the password in place and sends it again.
(function () {
  "use strict";

  var root = document.getElementById("attempt");
  var startup = document.getElementById("startup-warning");
  if (!root) {
    return;
  }
  function showStartupProblem(text) {
    if (startup) {
      startup.textContent = text;
      startup.classList.remove("d-none");
    }
    var status = document.getElementById("save-status");
    if (status) {
      status.dataset.state = "error";
      status.textContent = "答案无法保存";
    }
  }
  if (!window.fetch || !window.JSON || !document.querySelectorAll) {
    showStartupProblem("此浏览器版本过旧，不能自动保存答案。请不要继续作答，立即告知监考人员换用其他电脑或浏览器。");
    return;
  }
  var scriptError = false;
  window.addEventListener("error", function () {
    scriptError = true;
    showStartupProblem("答题页面程序出错，答案可能没有保存。请不要关闭此页面，立即告知监考人员。");
  });

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
  var refusedEl = document.getElementById("refused");
  var handInOnly = cfg.handInOnly === "1";
  var stopped = false;      // taken over, or the attempt is closed: no more saving
  var finishing = false;    // submitting
  var sending = false;
  var loginNeeded = false;  // the session ended: waiting for the password
  var handInRefused = false;  // the server refused a hand-in as sent: no automatic retry
  var finishAfterLogin = null;
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
  // the page's own account of its link: when it was lost and when it came back (PC clock times,
  // sent as ages so that a wrong PC clock does not matter)
  var linkLostAt = typeof stored.linkLostAt === "number" ? stored.linkLostAt : null;
  var linkBackAt = typeof stored.linkBackAt === "number" ? stored.linkBackAt : null;

  function persist() {
    if (stopped) {
      return;  // another page holds the attempt (and may share this storage)
    }
    try {
      window.localStorage.setItem(storeKey, JSON.stringify({
        seq: seq, queue: queue, events: events, linkLostAt: linkLostAt, linkBackAt: linkBackAt
      }));
    } catch (e) {
      // storage full or disabled: answers still go straight to the server
    }
  }

  // ---- the tab this page lives in: a reload keeps it, another tab or PC has its own ----
  function newTabId() {
    var bytes = [];
    var crypto = window.crypto || window.msCrypto;
    if (crypto && crypto.getRandomValues) {
      var buffer = new Uint8Array(16);
      crypto.getRandomValues(buffer);
      bytes = Array.prototype.slice.call(buffer);
    } else {
      for (var i = 0; i < 16; i += 1) {
        bytes.push(Math.floor(Math.random() * 256));
      }
    }
    return bytes.map(function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }
  var TAB_KEY = "examapp.tab";
  var LEAVING_KEY = "examapp.tab-leaving";
  function tabId() {
    var id = null;
    try {
      id = window.sessionStorage.getItem(TAB_KEY);
      // A duplicated tab starts with a copy of its original's storage while the original is
      // still open (not leaving): it is another tab and takes an id of its own.
      if (id && !window.sessionStorage.getItem(LEAVING_KEY)) {
        id = null;
      }
      if (!id) {
        id = newTabId();
        window.sessionStorage.setItem(TAB_KEY, id);
      }
      window.sessionStorage.removeItem(LEAVING_KEY);
    } catch (e) {
      id = id || newTabId();
    }
    return id;
  }
  var tab = tabId();
  function markLeaving() {
    try {
      window.sessionStorage.setItem(LEAVING_KEY, "1");
    } catch (e) {
      // nothing to keep
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

  // positions whose last answer the server refused, or that were never saved (taken over)
  var unsaved = {};

  function updateNav(section) {
    var position = section.dataset.position;
    var link = root.querySelector('.nav-q[data-position="' + position + '"]');
    var answered = isAnswered(section);
    var flagged = flagOf(section);
    var notSaved = !!unsaved[position];
    link.classList.toggle("btn-success", answered && !notSaved);
    link.classList.toggle("btn-outline-secondary", !answered && !notSaved);
    link.classList.toggle("btn-danger", notSaved);
    link.classList.toggle("nav-unsaved", notSaved);
    link.classList.toggle("flagged", flagged);
    link.setAttribute("aria-label", "第 " + position + " 题，" +
      (notSaved ? "答案未保存" : (answered ? "已作答" : "未作答")) + (flagged ? "，已标记" : ""));
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
        // a proxy's error page or a redirect: nothing was saved
        return { ok: false, status: response.status || 0, body: {} };
      }
      return response.json().then(function (data) {
        return { ok: response.ok, status: response.status, body: data || {} };
      }, function () {
        return { ok: false, status: response.status || 0, body: {} };
      });
    });
  }

  function linkLost() {
    online = false;
    if (linkLostAt === null) {
      linkLostAt = Date.now();
      linkBackAt = null;
      persist();
    }
  }

  function linkWorks() {
    // a reply came: the link works; the account of its outage has been sent with this request
    online = true;
    if (linkLostAt !== null) {
      linkLostAt = null;
      linkBackAt = null;
      persist();
    }
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

  function envelope(saves, extra) {
    var body = { token: token, saves: outgoing(saves) };
    var now = Date.now();
    if (linkLostAt !== null) {
      body.offline_ms = Math.max(0, now - linkLostAt);
      body.online_ms = linkBackAt !== null ? Math.max(0, now - linkBackAt) : 0;
    }
    for (var key in extra || {}) {
      if (Object.prototype.hasOwnProperty.call(extra, key)) {
        body[key] = extra[key];
      }
    }
    return body;
  }

  function enqueue(section) {
    if (stopped || finishing || handInOnly) {
      return;
    }
    var position = parseInt(section.dataset.position, 10);
    var given = givenOf(section);
    if (lastGiven[position] === given) {
      return;
    }
    lastGiven[position] = given;
    delete unsaved[position];
    seq += 1;
    queue = queue.filter(function (s) { return s.position !== position; });
    queue.push({ seq: seq, position: position, response: responseOf(section), flagged: flagOf(section),
                 at: Date.now() });
    persist();
    updateNav(section);
    flush();
  }

  // Forget what the server is done with: stored, superseded, kept for review, or refused (shown).
  var lateCount = 0;
  var refusals = {};
  function settle(body) {
    var done = {};
    ["acked", "stale", "late"].forEach(function (key) {
      (Array.isArray(body[key]) ? body[key] : []).forEach(function (n) { done[n] = true; });
    });
    lateCount += Array.isArray(body.late) ? body.late.length : 0;
    var refused = Array.isArray(body.refused) ? body.refused : [];
    refused.forEach(function (r) {
      if (typeof r.seq !== "number") {
        return;
      }
      done[r.seq] = true;
      if (typeof r.position === "number") {
        refusals[r.position] = r.error || "答案未保存";
        unsaved[r.position] = true;
        delete lastGiven[r.position];  // the same answer given again is sent again
        if (byPosition[r.position]) {
          updateNav(byPosition[r.position]);
        }
      }
    });
    var before = queue.length;
    queue = queue.filter(function (s) { return !done[s.seq]; });
    if (queue.length !== before) {
      persist();
    }
    showRefusals();
  }

  function showRefusals() {
    var positions = Object.keys(refusals);
    if (!positions.length) {
      refusedEl.classList.add("d-none");
      return;
    }
    refusedEl.textContent = "以下答案未能保存：" + positions.map(function (p) { return refusals[p]; }).join("；") + "。";
    refusedEl.classList.remove("d-none");
  }

  function scheduleRetry() {
    if (retryTimer || stopped || loginNeeded) {
      return;
    }
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      flush();
    }, backoff);
    backoff = Math.min(backoff * 2, 30000);
  }

  function sessionEnded(res) {
    return res.status === 401 || res.status === 403 || (res.status === 400 && res.body.reason === "csrf");
  }

  function flush() {
    if (sending || stopped || loginNeeded || finishing) {
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
    request("POST", cfg.saveUrl, envelope(batch)).then(function (res) {
      sending = false;
      if (res.status) {
        linkWorks();
      }
      if (res.ok && res.body.status === "saved") {
        settle(res.body);
        lastError = "";
        backoff = 1000;
        syncClock(res.body.seconds_left);
        flush();
      } else if (sessionEnded(res)) {
        askForLogin(res.body.error);
      } else if (res.status === 409) {
        settle(res.body);
        refused(res.body);
      } else if (res.status === 400 && Array.isArray(res.body.refused)) {
        settle(res.body);  // the named saves are shown as refused; the rest go on
        lastError = "";
        flush();
      } else {
        // a refusal of the whole request, a busy or failing server: keep every answer, try again
        lastError = res.status === 400 ? (res.body.error || "保存失败") + "，正在重试" :
          (res.status === 0 ? "网络异常，答案已暂存在本机" : "服务器繁忙，正在重试");
        scheduleRetry();
        render();
      }
    }, function () {
      sending = false;
      linkLost();
      scheduleRetry();
      render();
    });
  }

  function refused(body) {
    if (body.reason === "closed") {
      closed(body);
      return;
    }
    if (body.reason === "after_deadline") {
      // time is up on the server: hand in what is left (it is kept if given before the end)
      announceEl.textContent = "考试时间已到，正在交卷";
      finish(true);
      return;
    }
    stop(body.error || "本场考试已在其他页面打开，此页面已停止保存。");
  }

  function closed(body) {
    if (queue.length && !stopped) {
      // the attempt closed while this page was cut off: hand in the rest (kept for review)
      finishing = false;
      finish(true);
      return;
    }
    var text = "考试时间已到或答卷已提交。";
    if (lateCount) {
      text = lateCount + " 个答案在考试结束后才送达，已提交监考人员审核。";
    }
    stop(text);
    queue = [];
    events = [];
    clearStore();
    window.location.assign(body.result_url || cfg.resultUrl);
  }

  function clearStore() {
    try {
      window.localStorage.removeItem(storeKey);
    } catch (e) {
      // nothing kept
    }
  }

  function stop(message) {
    stopped = true;
    root.classList.add("attempt-stopped");
    // Answers this page still held were not saved by the server: never show them as done.
    queue.forEach(function (s) { unsaved[s.position] = true; });
    var pending = Object.keys(unsaved);
    sections.forEach(updateNav);
    var box = document.getElementById("takeover");
    box.textContent = message + (pending.length
      ? "此页面上第 " + pending.join("、") + " 题的答案没有保存，请在正在作答的页面上检查。"
      : "");
    box.classList.remove("d-none");
    root.querySelectorAll("#questions input, #submit-final").forEach(function (el) { el.disabled = true; });
    render();
  }

  // ---- logging in again, in place -------------------------------------------------------
  var loginBox = document.getElementById("relogin");
  var loginForm = document.getElementById("relogin-form");
  var loginError = document.getElementById("relogin-error");
  var loginPassword = document.getElementById("relogin-password");

  function askForLogin(message) {
    loginNeeded = true;
    sending = false;
    if (retryTimer) {
      window.clearTimeout(retryTimer);
      retryTimer = null;
    }
    loginError.textContent = message || "登录已失效，请输入密码重新登录";
    loginBox.classList.remove("d-none");
    loginPassword.focus();
    render();
  }

  loginForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var username = document.getElementById("relogin-username").value;
    var password = loginPassword.value;
    if (!password) {
      loginError.textContent = "请输入密码";
      loginPassword.focus();
      return;
    }
    loginError.textContent = "正在登录…";
    request("GET", cfg.reloginUrl).then(function (res) {
      if (!res.ok || !res.body.csrf) {
        throw new Error("token");
      }
      cfg.csrf = res.body.csrf;
      return request("POST", cfg.reloginUrl, { username: username, password: password });
    }).then(function (res) {
      if (res.ok && res.body.csrf) {
        cfg.csrf = res.body.csrf;
        loginPassword.value = "";
        loginError.textContent = "";
        loginBox.classList.add("d-none");
        loginNeeded = false;
        lastError = "";
        backoff = 1000;
        linkWorks();
        if (finishAfterLogin !== null) {
          var timeUp = finishAfterLogin;
          finishAfterLogin = null;
          finish(timeUp);
        } else {
          flush();
        }
        return;
      }
      loginError.textContent = res.body.error || "登录失败，请重试";
      loginPassword.select();
    }).catch(function () {
      loginError.textContent = "网络异常，无法登录，请稍后再试（答案仍暂存在本机）";
    });
  });

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
    if (sendingEvent || stopped || loginNeeded || !events.length || queue.length) {
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
      } else if (sessionEnded(res)) {
        askForLogin(res.body.error);
      } else if (res.status === 409) {
        refused(res.body);
      } else if (res.status === 400) {
        events.shift();  // an event no page should send; answers are never dropped here
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

  // A departure is the page hidden (another tab, minimised), or another window holding the focus
  // for longer than AWAY_AFTER_MS; focus moving inside the page, or briefly to the browser's own
  // controls (Tab past the last button), is not. Its duration is reported on return.
  var AWAY_AFTER_MS = 5000;
  var away = false;
  var awayStart = null;
  var awayTimer = null;
  var unloading = false;  // a reload or navigation is not leaving the exam
  window.addEventListener("beforeunload", function () { unloading = true; markLeaving(); });
  window.addEventListener("pagehide", function () { unloading = true; markLeaving(); });
  window.addEventListener("pageshow", function () {
    unloading = false;
    try {
      window.sessionStorage.removeItem(LEAVING_KEY);
    } catch (e) {
      // nothing kept
    }
  });
  function depart(how) {
    if (away || unloading) {
      return;
    }
    away = true;
    if (awayStart === null) {
      awayStart = Date.now();
    }
    report("departure", { how: how });
  }
  function blurred() {
    if (unloading || away || awayTimer) {
      return;
    }
    awayStart = Date.now();
    awayTimer = window.setTimeout(function () {
      awayTimer = null;
      if (document.hasFocus()) {
        awayStart = null;
      } else {
        depart("blur");
      }
    }, AWAY_AFTER_MS);
  }
  function back() {
    if (awayTimer) {
      window.clearTimeout(awayTimer);
      awayTimer = null;
    }
    if (away) {
      report("return", { duration_ms: Math.max(0, Date.now() - awayStart) });
    }
    away = false;
    awayStart = null;
  }
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      if (awayTimer) {
        window.clearTimeout(awayTimer);
        awayTimer = null;
      }
      depart("hidden");
    } else if (document.hasFocus()) {
      back();
    }
  });
  window.addEventListener("blur", blurred);
  window.addEventListener("focus", back);
  document.addEventListener("copy", function () { report("copy"); });
  document.addEventListener("paste", function () { report("paste"); });
  window.addEventListener("online", function () {
    online = true;
    if (linkLostAt !== null && linkBackAt === null) {
      linkBackAt = Date.now();
      persist();
    }
    backoff = 1000;
    flush();
  });
  window.addEventListener("offline", function () {
    linkLost();
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
    if (left === 0 && !finishing && !stopped && !loginNeeded && !handInRefused) {
      announceEl.textContent = "考试时间到，正在交卷";
      finish(true);
    }
  }

  function resync() {
    // A save's reply carries the server's time too (and a taken-over page's save is refused):
    // ask only when nothing was heard from the server for a while, which spares the server a
    // request per page every half minute on exam day.
    if (stopped || finishing || loginNeeded || now() - lastSync < RESYNC_MS - 1000) {
      return;
    }
    request("GET", cfg.stateUrl + "?token=" + encodeURIComponent(token)).then(function (res) {
      if (sessionEnded(res)) {
        askForLogin(res.body.error);
        return;
      }
      if (!res.ok) {
        return;
      }
      if (res.body.state !== "in_progress") {
        closed(res.body);
      } else if (res.body.taken_over) {
        stop("本场考试已在其他页面或电脑上打开，此页面已停止保存。");
      } else {
        syncClock(res.body.seconds_left);
      }
    }, function () {});
  }

  // ---- saying which tab this page is (a reload, or a takeover) -----------------------------
  var helloTries = 0;
  function hello() {
    request("POST", cfg.helloUrl, { token: token, tab: tab }).then(function (res) {
      if (res.ok) {
        syncClock(res.body.seconds_left);
      } else if (res.status === 409) {
        refused(res.body);
      } else if (!sessionEnded(res) && res.status !== 400 && helloTries < 5) {
        helloTries += 1;
        window.setTimeout(hello, 5000 * helloTries);
      }
    }, function () {
      if (helloTries < 5) {
        helloTries += 1;
        window.setTimeout(hello, 5000 * helloTries);
      }
    });
  }

  // ---- submitting -------------------------------------------------------------------
  var confirmError = document.getElementById("confirm-error");
  function showSubmitProblem(text) {
    confirmError.textContent = text;
    confirmError.classList.remove("d-none");
    document.getElementById("confirm").classList.remove("d-none");
  }

  function finish(timeUp) {
    if (finishing || stopped) {
      return;
    }
    finishing = true;
    render();
    var attemptSubmit = function () {
      request("POST", cfg.submitUrl, envelope(queue.slice(0, 200), { time_up: !!timeUp })).then(function (res) {
        if (res.status) {
          linkWorks();
        }
        if (res.ok && res.body.status === "submitted") {
          settle(res.body);
          queue = [];
          events = [];
          clearStore();
          stopped = true;
          window.location.assign(res.body.result_url);
        } else if (res.ok && res.body.status === "continue") {
          // the server's deadline is later than this page thought (extra time was granted)
          settle(res.body);
          finishing = false;
          syncClock(res.body.seconds_left);
          announceEl.textContent = "考试时间已延长";
          flush();
        } else if (sessionEnded(res)) {
          finishing = false;
          finishAfterLogin = !!timeUp;
          askForLogin(res.body.error);
        } else if (res.status === 409) {
          finishing = false;
          settle(res.body);
          refused(res.body);
        } else if (res.status === 400) {
          // the server will not take this hand-in as sent: say so and keep every answer
          finishing = false;
          handInRefused = true;
          lastError = res.body.error || "交卷失败";
          showSubmitProblem((res.body.error || "交卷失败") + "。答案仍保存在本机，请告知监考人员。");
          render();
        } else {
          window.setTimeout(attemptSubmit, 3000);
        }
      }, function () {
        // the server submits on its own at the deadline; keep trying to hand in the last answers
        linkLost();
        render();
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
  document.getElementById("submit-final").addEventListener("click", function () {
    if (!online && queue.length) {
      showSubmitProblem("网络中断，还有答案未保存，请等网络恢复后再交卷");
      flush();
      return;
    }
    confirmError.classList.add("d-none");
    handInRefused = false;
    finish(false);
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
    if (scriptError) {
      state = "error";
      text = "页面程序出错，保存状态未知";
    } else if (stopped) {
      state = "error";
      text = "已停止保存" + (Object.keys(unsaved).length ? "：" + Object.keys(unsaved).length + " 个答案未保存" : "");
    } else if (loginNeeded) {
      state = "error";
      text = "登录已失效：" + (queue.length ? queue.length + " 个答案暂存在本机，" : "") + "请重新登录";
    } else if (finishing) {
      state = "saving";
      text = online ? "正在交卷…" : "网络中断，正在重试交卷（答案暂存在本机）";
    } else if (!online && queue.length) {
      state = "offline";
      text = "网络中断：" + queue.length + " 个答案等待发送";
    } else if (lastError) {
      state = "error";
      text = lastError + (queue.length ? "（" + queue.length + " 个答案等待发送）" : "");
    } else if (queue.length || sending) {
      state = "saving";
      text = "正在保存…";
    } else if (Object.keys(unsaved).length) {
      state = "error";
      text = Object.keys(unsaved).length + " 个答案未能保存";
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
  if (startup && !scriptError) {
    startup.classList.add("d-none");
  }
  if (!online) {
    linkLost();
  }
  tick();
  window.setInterval(tick, 1000);
  window.setInterval(resync, RESYNC_MS);
  hello();
  if (!handInOnly) {
    flush();
  }
})();
