// Events the page reports (departures, returns, copy, paste), kept in the stored record and
// sent one at a time, only when no answer waits (answers go first).
import { sessionEnded } from "./transport.js";

// hooks: blocked() (no sending now), retry() (try again later), loginNeeded(error),
// refused(body) (409), submitted(body) (the server handed in: the departure limit),
// departed(count, limit) (a departure was recorded).
export function createReports({ stored = {}, store, transport, url, token, hooks }) {
  let events = Array.isArray(stored.events) ? stored.events : [];
  let sending = false;

  function persist() {
    store.update({ events: events });
  }

  function flush() {
    if (sending || !events.length || hooks.blocked()) {
      return;
    }
    sending = true;
    const next = events[0];
    transport.post(url, { token: token, kind: next.kind, detail: next.detail }).then(
      (res) => {
        sending = false;
        if (res.ok) {
          events.shift();
          persist();
          if (res.body.submitted) {
            hooks.submitted(res.body);
            return;
          }
          if (next.kind === "departure") {
            hooks.departed(res.body.departures, res.body.limit);
          }
          flush();
        } else if (sessionEnded(res)) {
          hooks.loginNeeded(res.body.error);
        } else if (res.status === 409) {
          hooks.refused(res.body);
        } else if (res.status === 400) {
          events.shift(); // an event no page should send; answers are never dropped here
          persist();
        } else {
          hooks.retry();
        }
      },
      () => {
        sending = false;
        hooks.retry();
      },
    );
  }

  return {
    add(kind, detail) {
      events.push({ kind: kind, detail: detail || {} });
      persist();
      flush();
    },
    flush: flush,
    clear() {
      events = [];
    },
  };
}
