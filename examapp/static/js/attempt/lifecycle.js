// How this page's part in the attempt ends: taken over by another page, closed (time up or
// handed in elsewhere), or handed in here. Once stopped, the page saves nothing more.

// hooks: finish(timeUp) (hand in), finishLate() (hand in what is left, late), pending()
// (the queued saves), clear() (forget the queue and the events), announce(text), render(),
// navigate(url).
export function createLifecycle(root, { store, sheet, view, resultUrl, hooks }) {
  let stopped = false;

  function halt() {
    stopped = true;
    store.freeze(); // another page holds the attempt (and may share this storage)
  }

  function stop(message) {
    halt();
    root.classList.add("attempt-stopped");
    // Answers this page still held were not saved by the server: never show them as done.
    hooks.pending().forEach((s) => sheet.notSaved(s.position));
    const pending = sheet.unsavedPositions();
    sheet.markAll();
    view.stopped(
      message + (pending.length ? "此页面上第 " + pending.join("、") + " 题的答案没有保存，请在正在作答的页面上检查。" : ""),
    );
    root.querySelectorAll("#questions input, #submit-final").forEach((el) => {
      el.disabled = true;
    });
    hooks.render();
  }

  function closed(body, lateCount) {
    if (hooks.pending().length && !stopped) {
      hooks.finishLate();
      return;
    }
    stop(lateCount ? lateCount + " 个答案在考试结束后才送达，已提交监考人员审核。" : "考试时间已到或答卷已提交。");
    hooks.clear();
    store.clear();
    hooks.navigate(body.result_url || resultUrl);
  }

  return {
    get stopped() {
      return stopped;
    },
    stop: stop,
    closed: closed,
    // handed in here: the result page follows
    finished(url) {
      hooks.clear();
      store.clear();
      halt();
      hooks.navigate(url);
    },
    // the server refused with 409: the attempt closed, its time is up, or another page holds it
    refused(body, lateCount) {
      if (body.reason === "closed") {
        closed(body, lateCount);
      } else if (body.reason === "after_deadline") {
        // time is up on the server: hand in what is left (it is kept if given before the end)
        hooks.announce("考试时间已到，正在交卷");
        hooks.finish(true);
      } else {
        stop(body.error || "本场考试已在其他页面打开，此页面已停止保存。");
      }
    },
  };
}
