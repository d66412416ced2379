// Sending the queue: a batch at a time, in order, until the server has named every save.
// A refusal of the whole request, a busy server or no network keeps every answer and tries
// again later, waiting longer each time (up to 30 s).
import { sessionEnded } from "./transport.js";

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 30000;

// hooks: blocked() (stopped, waiting for a login, handing in), canRetry(), settle(body),
// sync(secondsLeft), loginNeeded(error), refused(body) (409), idle() (nothing to send),
// problem(text) (what the status line says went wrong; "" when nothing), render().
// device: the browser's device id, sent with every save (tab.js).
export function createSaver({ queue, link, transport, url, token, device, timers, hooks }) {
  let sending = false;
  let retryTimer = null;
  let backoff = FIRST_RETRY_MS;

  function envelope(saves, extra) {
    // built when sent: saves queued offline go with the device id like any other
    const body = { token: token, saves: queue.outgoing(saves) };
    if (device) {
      body.device = device;
    }
    return Object.assign(body, link.account(), extra || {});
  }

  function scheduleRetry() {
    if (retryTimer || !hooks.canRetry()) {
      return;
    }
    retryTimer = timers.set(() => {
      retryTimer = null;
      flush();
    }, backoff);
    backoff = Math.min(backoff * 2, LAST_RETRY_MS);
  }

  function flush() {
    if (sending || hooks.blocked()) {
      hooks.render();
      return;
    }
    if (!queue.size) {
      hooks.idle();
      hooks.render();
      return;
    }
    sending = true;
    hooks.render();
    transport.post(url, envelope(queue.batch(100))).then(
      (res) => {
        sending = false;
        if (res.status) {
          link.works();
        }
        if (res.ok && res.body.status === "saved") {
          hooks.settle(res.body);
          hooks.problem("");
          backoff = FIRST_RETRY_MS;
          hooks.sync(res.body.seconds_left);
          flush();
        } else if (sessionEnded(res)) {
          hooks.loginNeeded(res.body.error);
        } else if (res.status === 409) {
          hooks.settle(res.body);
          hooks.refused(res.body);
        } else if (res.status === 400 && Array.isArray(res.body.refused)) {
          hooks.settle(res.body); // the named saves are shown as refused; the rest go on
          hooks.problem("");
          flush();
        } else {
          // a refusal of the whole request, a busy or failing server: keep every answer, try again
          hooks.problem(
            res.status === 400
              ? (res.body.error || "保存失败") + "，正在重试"
              : res.status === 0
                ? "网络异常，答案已暂存在本机"
                : "服务器繁忙，正在重试",
          );
          scheduleRetry();
          hooks.render();
        }
      },
      () => {
        sending = false;
        link.lost();
        scheduleRetry();
        hooks.render();
      },
    );
  }

  return {
    get sending() {
      return sending;
    },
    envelope: envelope,
    flush: flush,
    scheduleRetry: scheduleRetry,
    resetBackoff() {
      backoff = FIRST_RETRY_MS;
    },
    // waiting for a login: no request in flight counts, no retry is due
    halt() {
      sending = false;
      if (retryTimer) {
        timers.clear(retryTimer);
        retryTimer = null;
      }
    },
  };
}
