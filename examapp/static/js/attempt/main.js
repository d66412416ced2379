// The exam page: saves every answer as it is given, queues answers in the browser's storage
// while the link is down and re-sends them in order, counts down from the server's remaining
// seconds (never the PC clock), reports departures, and submits at the deadline.
//
// This entry module wires the page's parts together; each part keeps its own state. The page
// is served as a versioned folder of ES modules (examapp/web/static_modules.py); a browser
// without modules runs ../attempt-nomodule.js instead, which says answers cannot be saved.
// Written for the oldest browsers with modules: ES2017 at most (no ?., no ??, no object spread).
import { createCheckin } from "./checkin.js";
import { createCountdown } from "./countdown.js";
import { createDepartures, watchDepartures } from "./departures.js";
import { createLifecycle } from "./lifecycle.js";
import { createLink } from "./link.js";
import { setUpNavigation } from "./navigation.js";
import { createSaveQueue } from "./queue.js";
import { createRelogin } from "./relogin.js";
import { createReports } from "./reports.js";
import { createSaver } from "./saver.js";
import { createSheet, flagOf, responseOf } from "./sheet.js";
import { createStatusView, showStartupProblem } from "./status.js";
import { createStore } from "./store.js";
import { createHandIn } from "./submit.js";
import { deviceId, tabId, watchLeaving } from "./tab.js";
import { countdownView } from "./timer.js";
import { createTransport } from "./transport.js";

const RESYNC_MS = 30000; // how often the page may ask for the state when it heard nothing

const timers = {
  set: (fn, ms) => window.setTimeout(fn, ms),
  clear: (id) => window.clearTimeout(id),
};

// a storage the browser may refuse (disabled, or blocked with cookies): null then
function storageOf(name) {
  try {
    return window[name];
  } catch (e) {
    return null;
  }
}

function start(root) {
  if (!window.fetch || !window.JSON || !document.querySelectorAll) {
    showStartupProblem(
      document,
      "此浏览器版本过旧，不能自动保存答案。请不要继续作答，立即告知监考人员换用其他电脑或浏览器。",
    );
    return;
  }
  const cfg = root.dataset;
  const token = cfg.token;
  const random = window.crypto || window.msCrypto;
  // which browser this is: sent with the hello and every save (the integrity analysis)
  const device = deviceId(storageOf("localStorage"), random);
  const monotonic = () => (window.performance && performance.now ? performance.now() : Date.now());

  const store = createStore(storageOf("localStorage"), "examapp.attempt." + cfg.attempt);
  const sheet = createSheet(root, document.getElementById("refused"));
  const transport = createTransport({
    fetch: (url, options) => window.fetch(url, options),
    csrf: cfg.csrf,
    page: token,
  });
  const countdown = createCountdown({ seconds: cfg.seconds, now: monotonic, resyncMs: RESYNC_MS });
  const queue = createSaveQueue({ stored: store.stored, store: store, lastSeq: cfg.lastSeq });
  const link = createLink({ stored: store.stored, store: store, online: navigator.onLine !== false });
  // created below; the hooks reach them only once the page runs
  let saver, reports, relogin, handIn, lifecycle;
  const view = createStatusView(document, () => ({
    stopped: lifecycle.stopped,
    loginNeeded: relogin.isOpen,
    finishing: handIn.finishing,
    online: link.online,
    pending: queue.size,
    sending: saver.sending,
    unsaved: sheet.unsavedCount,
  }));
  window.addEventListener("error", () => view.scriptFailed());

  function settle(body) {
    queue.settle(body).forEach((r) => sheet.refused(r.position, r.error));
    sheet.showRefusals();
  }
  function askForLogin(message) {
    relogin.ask(message);
    saver.halt();
    view.render();
  }
  const refused = (body) => lifecycle.refused(body, queue.lateCount);
  const closed = (body) => lifecycle.closed(body, queue.lateCount);

  saver = createSaver({
    queue: queue,
    link: link,
    transport: transport,
    url: cfg.saveUrl,
    token: token,
    device: device,
    timers: timers,
    hooks: {
      blocked: () => lifecycle.stopped || relogin.isOpen || handIn.finishing,
      canRetry: () => !lifecycle.stopped && !relogin.isOpen,
      settle: settle,
      sync: (seconds) => countdown.sync(seconds),
      loginNeeded: askForLogin,
      refused: refused,
      idle: () => reports.flush(),
      problem: (text) => view.problem(text),
      render: () => view.render(),
    },
  });
  reports = createReports({
    stored: store.stored,
    store: store,
    transport: transport,
    url: cfg.eventUrl,
    token: token,
    hooks: {
      blocked: () => lifecycle.stopped || relogin.isOpen || queue.size > 0,
      retry: () => saver.scheduleRetry(),
      loginNeeded: askForLogin,
      refused: refused,
      submitted: (body) => {
        lifecycle.stop("离开考试页面的次数已达上限，答卷已自动提交。");
        window.location.assign(body.result_url);
      },
      departed: (count, limit) => view.departed(count, limit),
    },
  });
  relogin = createRelogin(document, {
    transport: transport,
    url: cfg.reloginUrl,
    onBack: () => {
      view.problem("");
      saver.resetBackoff();
      link.works();
      if (!handIn.resumeAfterLogin()) {
        saver.flush();
      }
    },
  });
  handIn = createHandIn(document, {
    handInOnly: cfg.handInOnly === "1",
    queue: queue,
    link: link,
    saver: saver,
    transport: transport,
    url: cfg.submitUrl,
    sheet: sheet,
    timers: timers,
    hooks: {
      stopped: () => lifecycle.stopped,
      settle: settle,
      finished: (url) => lifecycle.finished(url),
      sync: (seconds) => countdown.sync(seconds),
      flush: () => saver.flush(),
      loginNeeded: askForLogin,
      refused: refused,
      problem: (text) => view.problem(text),
      announce: (text) => view.announce(text),
      render: () => view.render(),
    },
  });
  lifecycle = createLifecycle(root, {
    store: store,
    sheet: sheet,
    view: view,
    resultUrl: cfg.resultUrl,
    hooks: {
      finish: (timeUp) => handIn.finish(timeUp),
      finishLate: () => handIn.finishLate(),
      pending: () => queue.pending(),
      clear: () => {
        queue.clear();
        reports.clear();
      },
      announce: (text) => view.announce(text),
      render: () => view.render(),
      navigate: (url) => window.location.assign(url),
    },
  });
  const checkin = createCheckin({
    transport: transport,
    token: token,
    tab: tabId(storageOf("sessionStorage"), random),
    device: device,
    urls: { hello: cfg.helloUrl, state: cfg.stateUrl },
    countdown: countdown,
    timers: timers,
    hooks: {
      quiet: () => lifecycle.stopped || handIn.finishing || relogin.isOpen,
      sync: (seconds) => countdown.sync(seconds),
      loginNeeded: askForLogin,
      refused: refused,
      closed: closed,
      takenOver: () => lifecycle.stop("本场考试已在其他页面或电脑上打开，此页面已停止保存。"),
    },
  });

  // ---- answers and page events ----
  sheet.watch((section) => {
    if (lifecycle.stopped || !handIn.takesAnswers) {
      return;
    }
    const position = parseInt(section.dataset.position, 10);
    if (queue.add(position, responseOf(section), flagOf(section))) {
      sheet.given(section);
      saver.flush();
    }
  }, timers);
  function report(kind, detail) {
    if (!lifecycle.stopped && !handIn.finishing) {
      reports.add(kind, detail);
    }
  }
  watchLeaving(window);
  watchDepartures(
    window,
    document,
    createDepartures({
      report: report,
      hasFocus: () => document.hasFocus(),
      setTimer: timers.set,
      clearTimer: timers.clear,
    }),
  );
  document.addEventListener("copy", () => report("copy"));
  document.addEventListener("paste", () => report("paste"));
  window.addEventListener("online", () => {
    link.back();
    saver.resetBackoff();
    saver.flush();
  });
  window.addEventListener("offline", () => {
    link.lost();
    view.render();
  });

  // ---- the clock ----
  const showTime = countdownView(document);
  function tick() {
    const left = countdown.secondsLeft();
    showTime(left);
    const mark = countdown.announcement(left);
    if (mark !== null) {
      view.announce("剩余时间 " + mark / 60 + " 分钟");
    }
    if (left === 0 && !lifecycle.stopped && !relogin.isOpen && handIn.mayFinishOnTimeUp) {
      view.announce("考试时间到，正在交卷");
      handIn.finish(true);
    }
  }

  // ---- start ----
  queue.pending().forEach((save) => sheet.restore(save));
  sheet.sections.forEach((section) => queue.remember(section.dataset.position, responseOf(section), flagOf(section)));
  sheet.markAll();
  setUpNavigation(root, sheet, storageOf("localStorage"));
  view.started();
  if (!link.online) {
    link.lost();
  }
  tick();
  window.setInterval(tick, 1000);
  window.setInterval(() => checkin.resync(), RESYNC_MS);
  checkin.hello();
  if (!handIn.handInOnly) {
    saver.flush();
  }
}

const root = document.getElementById("attempt");
if (root) {
  start(root);
}
