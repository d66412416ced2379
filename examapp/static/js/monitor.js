// Live monitor: re-reads the server's figures every few seconds and updates the page in place.
// The page works without this file (server-rendered figures and a 刷新 link). Times left come
// from the server; between polls they only count down by the time elapsed since the last answer.
(function () {
  "use strict";

  var root = document.getElementById("monitor");
  if (!root) { return; }

  var statusUrl = root.getAttribute("data-status-url");
  var refreshMs = (parseInt(root.getAttribute("data-refresh-seconds"), 10) || 10) * 1000;
  var showScores = root.getAttribute("data-show-scores") === "1";
  var BADGES = {
    not_started: "text-bg-secondary",
    in_progress: "text-bg-primary",
    submitted: "text-bg-success",
    voided: "text-bg-danger"
  };
  var anchor = { at: performance.now() };  // when the shown seconds-left were true
  var timer = null;

  function $(selector, scope) { return (scope || root).querySelector(selector); }
  function $all(selector, scope) { return Array.prototype.slice.call((scope || root).querySelectorAll(selector)); }
  function setText(el, text) { if (el && el.textContent !== text) { el.textContent = text; } }
  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function clock(seconds) {
    if (seconds === null || seconds === undefined || seconds === "") { return "—"; }
    seconds = Math.max(0, Math.floor(seconds));
    if (seconds === 0) { return "已到时"; }
    return Math.floor(seconds / 3600) + ":" + pad(Math.floor(seconds % 3600 / 60)) + ":" + pad(seconds % 60);
  }

  function showError(message) {
    var box = $("[data-refresh-error]");
    box.textContent = message || "";
    box.hidden = !message;
  }

  function updateCounts(data) {
    Object.keys(data.totals).forEach(function (key) {
      setText($('[data-total="' + key + '"]'), String(data.totals[key]));
    });
    var known = {};
    $all("tr[data-unit-id]").forEach(function (row) { known[row.getAttribute("data-unit-id")] = row; });
    var changed = false;
    data.units.forEach(function (unit) {
      var row = known[String(unit.unit_id)];
      if (!row) { changed = true; return; }
      $all("[data-count]", row).forEach(function (cell) {
        setText(cell, String(unit[cell.getAttribute("data-count")]));
      });
    });
    return changed;
  }

  function updatePerson(row, person) {
    var stateCell = $('[data-field="state"]', row);
    var badge = $(".badge", stateCell);
    if (badge) {
      badge.className = "badge " + (BADGES[person.state] || "text-bg-light");
      setText(badge, person.state_label);
    }
    var timeCell = $('[data-field="time_left"]', row);
    timeCell.setAttribute("data-seconds-left", person.seconds_left === null ? "" : String(person.seconds_left));
    setText(timeCell, clock(person.seconds_left));
    setText($('[data-field="deadline"]', row), person.state === "in_progress" ? person.deadline_text || "" : "");
    setText($('[data-field="last_saved"]', row), person.last_saved_text || "—");
    var progress = $('[data-field="progress"]', row);
    if (progress) { setText(progress, person.progress_text || "—"); }
    var contact = $('[data-field="contact"]', row);
    if (contact && contact.getAttribute("data-text") !== person.contact_text) {
      contact.setAttribute("data-text", person.contact_text);
      contact.textContent = "";
      if (person.state === "in_progress") {
        var badge = document.createElement("span");
        badge.className = "badge " + (person.online ? "text-bg-success" : "text-bg-warning");
        badge.textContent = person.online ? "在线" : "离线";
        contact.appendChild(badge);
        if (!person.online && person.contact_text.length > 2) {
          contact.appendChild(document.createTextNode(" " + person.contact_text.slice(3, -1)));
        }
      } else {
        contact.textContent = "—";
      }
    }
    setText($('[data-field="departures"]', row), person.state === "not_started" ? "—" : String(person.departures));
    setText($('[data-field="extra_minutes"]', row), person.extra_minutes ? person.extra_minutes + " 分钟" : "");
    if (showScores) {
      setText($('[data-field="score"]', row), person.score === null || person.score === undefined ? "" : person.score);
    }
  }

  function updatePeople(data) {
    var rows = {};
    $all("tr[data-entry-id]").forEach(function (row) { rows[row.getAttribute("data-entry-id")] = row; });
    var seen = 0;
    data.people.forEach(function (person) {
      var row = rows[String(person.entry_id)];
      if (row) { seen += 1; updatePerson(row, person); }
    });
    // Someone left or joined the filtered list: say so rather than reshuffle rows under the reader.
    return seen !== data.people.length || seen !== Object.keys(rows).length;
  }

  function apply(data) {
    anchor.at = performance.now();
    setText($("[data-updated]"), data.now_text);
    var changed = updateCounts(data);
    changed = updatePeople(data) || changed;
    $("[data-list-changed]").hidden = !changed;
    showError("");
  }

  function tick() {
    var elapsed = (performance.now() - anchor.at) / 1000;
    $all('[data-field="time_left"]').forEach(function (cell) {
      var left = cell.getAttribute("data-seconds-left");
      if (left !== "") { setText(cell, clock(parseInt(left, 10) - elapsed)); }
    });
  }

  function poll() {
    timer = null;
    if (document.hidden) { schedule(); return; }
    fetch(statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.redirected || type.indexOf("application/json") === -1) {
          throw new Error("登录已失效，请重新登录后再查看");
        }
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error(body.error || "自动更新失败"); }
          return body;
        });
      })
      .then(apply)
      .catch(function (error) {
        var message = error && error.message && /[\u4e00-\u9fa5]/.test(error.message) ? error.message : "网络异常";
        showError("自动更新失败（" + message + "），稍后重试；也可点击“刷新”。");
      })
      .then(schedule);
  }

  function schedule() {
    if (timer === null) { timer = window.setTimeout(poll, refreshMs); }
  }

  $("[data-live]").hidden = false;
  window.setInterval(tick, 1000);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer !== null) {
      window.clearTimeout(timer);
      timer = null;
      poll();
    }
  });
  schedule();
}());
