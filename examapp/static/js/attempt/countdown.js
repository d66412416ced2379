// The clock: the server's remaining seconds, counted on a monotonic clock (never the PC's
// date and time, which may be wrong). Every reply that carries seconds_left moves the end.

const MARKS = [600, 300, 60]; // spoken once each: 10, 5 and 1 minute left

export function formatClock(total) {
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n) => (n < 10 ? "0" : "") + n;
  return (h ? h + ":" + pad(m) : m) + ":" + pad(s);
}

// seconds: what the server said when the page was built; now: a monotonic clock in ms;
// resyncMs: how long the page goes without hearing the server's time before it asks.
export function createCountdown({ seconds, now, resyncMs = 30000 }) {
  let endsAt = now() + (parseInt(seconds, 10) || 0) * 1000;
  let lastSync = now();
  const announced = {};

  function secondsLeft() {
    return Math.max(0, Math.round((endsAt - now()) / 1000));
  }

  return {
    sync(secondsLeft) {
      if (typeof secondsLeft === "number") {
        endsAt = now() + secondsLeft * 1000;
        lastSync = now();
      }
    },
    secondsLeft: secondsLeft,
    isUp: () => secondsLeft() === 0,
    // nothing was heard from the server for about resyncMs
    needsResync() {
      return now() - lastSync >= resyncMs - 1000;
    },
    // the mark (in seconds) just reached, once each, or null
    announcement(left) {
      for (const mark of MARKS) {
        if (left <= mark && left > mark - 5 && !announced[mark]) {
          announced[mark] = true;
          return mark;
        }
      }
      return null;
    },
  };
}
