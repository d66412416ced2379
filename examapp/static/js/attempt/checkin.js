// What the page asks the server on its own: which tab it is, once loaded (a reload, or a
// takeover), and the attempt's state when nothing was heard from the server for a while.
import { sessionEnded } from "./transport.js";

const HELLO_TRIES = 5;

// hooks: quiet() (stopped, handing in or waiting for a login: ask nothing), sync(secondsLeft),
// loginNeeded(error), refused(body) (409), closed(body), takenOver().
// tab, device: this page's tab id and its browser's device id (tab.js), both said in the hello.
export function createCheckin({ transport, token, tab, device, urls, countdown, timers, hooks }) {
  let helloTries = 0;

  function retryHello() {
    if (helloTries < HELLO_TRIES) {
      helloTries += 1;
      timers.set(hello, 5000 * helloTries);
    }
  }

  function hello() {
    const body = { token: token, tab: tab };
    if (device) {
      body.device = device;
    }
    transport.post(urls.hello, body).then(
      (res) => {
        if (res.ok) {
          hooks.sync(res.body.seconds_left);
        } else if (res.status === 409) {
          hooks.refused(res.body);
        } else if (!sessionEnded(res) && res.status !== 400) {
          retryHello();
        }
      },
      () => retryHello(),
    );
  }

  // A save's reply carries the server's time too (and a taken-over page's save is refused):
  // ask only when nothing was heard from the server for a while, which spares the server a
  // request per page every half minute on exam day.
  function resync() {
    if (hooks.quiet() || !countdown.needsResync()) {
      return;
    }
    transport.get(urls.state + "?token=" + encodeURIComponent(token)).then(
      (res) => {
        if (sessionEnded(res)) {
          hooks.loginNeeded(res.body.error);
        } else if (!res.ok) {
          return;
        } else if (res.body.state !== "in_progress") {
          hooks.closed(res.body);
        } else if (res.body.taken_over) {
          hooks.takenOver();
        } else {
          hooks.sync(res.body.seconds_left);
        }
      },
      () => {},
    );
  }

  return { hello: hello, resync: resync };
}
