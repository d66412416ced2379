// Leaving the exam page. A departure is the page hidden (another tab, minimised), or another
// window holding the focus for longer than AWAY_AFTER_MS; focus moving inside the page, or
// briefly to the browser's own controls (Tab past the last button), is not. A reload or a
// navigation is not leaving either. The departure's duration is reported on return.

export const AWAY_AFTER_MS = 5000;

// report(kind, detail): where departures and returns go; hasFocus(): whether the page has it;
// timers and now are the window's (injected so that tests drive them).
export function createDepartures({ report, hasFocus, now = Date.now, setTimer, clearTimer }) {
  let away = false;
  let awayStart = null;
  let awayTimer = null;
  let unloading = false;

  function cancelTimer() {
    if (awayTimer) {
      clearTimer(awayTimer);
      awayTimer = null;
    }
  }

  function depart(how) {
    if (away || unloading) {
      return;
    }
    away = true;
    if (awayStart === null) {
      awayStart = now();
    }
    report("departure", { how: how });
  }

  function back() {
    cancelTimer();
    if (away) {
      report("return", { duration_ms: Math.max(0, now() - awayStart) });
    }
    away = false;
    awayStart = null;
  }

  return {
    hidden() {
      cancelTimer();
      depart("hidden");
    },
    shown() {
      if (hasFocus()) {
        back();
      }
    },
    blurred() {
      if (unloading || away || awayTimer) {
        return;
      }
      awayStart = now();
      awayTimer = setTimer(() => {
        awayTimer = null;
        if (hasFocus()) {
          awayStart = null;
        } else {
          depart("blur");
        }
      }, AWAY_AFTER_MS);
    },
    focused: back,
    unloading() {
      unloading = true;
    },
    shownAgain() {
      unloading = false; // back from the browser's page cache
    },
  };
}

export function watchDepartures(win, doc, departures) {
  win.addEventListener("beforeunload", () => departures.unloading());
  win.addEventListener("pagehide", () => departures.unloading());
  win.addEventListener("pageshow", () => departures.shownAgain());
  doc.addEventListener("visibilitychange", () => (doc.hidden ? departures.hidden() : departures.shown()));
  win.addEventListener("blur", () => departures.blurred());
  win.addEventListener("focus", () => departures.focused());
}
