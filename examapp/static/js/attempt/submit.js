// Handing in: the confirmation, the hand-in itself (with the answers still queued), and time
// up. A hand-in the server refuses as sent (400) is shown and not retried on its own; one that
// cannot reach the server is retried every 3 s (the server also closes the attempt at the
// deadline). A page opened after the deadline only hands in (hand-in-only mode).
import { sessionEnded } from "./transport.js";
import { flagOf, isAnswered } from "./sheet.js";

const RETRY_MS = 3000;

// hooks: stopped(), settle(body), finished(resultUrl), sync(secondsLeft), flush(),
// loginNeeded(error), refused(body) (409), problem(text), announce(text), render().
export function createHandIn(doc, { handInOnly, queue, link, saver, transport, url, sheet, timers, hooks }) {
  let finishing = false;
  let refused = false; // the server refused a hand-in as sent: no automatic retry
  let afterLogin = null; // a hand-in (time up or not) waiting for a login

  const confirmBox = doc.getElementById("confirm");
  const confirmError = doc.getElementById("confirm-error");

  function showProblem(text) {
    confirmError.textContent = text;
    confirmError.classList.remove("d-none");
    confirmBox.classList.remove("d-none");
  }

  function finish(timeUp) {
    if (finishing || hooks.stopped()) {
      return;
    }
    finishing = true;
    hooks.render();
    const attempt = () => {
      const body = saver.envelope(queue.batch(200), { time_up: !!timeUp });
      transport.post(url, body).then(
        (res) => {
          if (res.status) {
            link.works();
          }
          if (res.ok && res.body.status === "submitted") {
            hooks.settle(res.body);
            hooks.finished(res.body.result_url);
          } else if (res.ok && res.body.status === "continue") {
            // the server's deadline is later than this page thought (extra time was granted)
            hooks.settle(res.body);
            finishing = false;
            hooks.sync(res.body.seconds_left);
            hooks.announce("考试时间已延长");
            hooks.flush();
          } else if (sessionEnded(res)) {
            finishing = false;
            afterLogin = !!timeUp;
            hooks.loginNeeded(res.body.error);
          } else if (res.status === 409) {
            finishing = false;
            hooks.settle(res.body);
            hooks.refused(res.body);
          } else if (res.status === 400) {
            // the server will not take this hand-in as sent: say so and keep every answer
            finishing = false;
            refused = true;
            hooks.problem(res.body.error || "交卷失败");
            showProblem((res.body.error || "交卷失败") + "。答案仍保存在本机，请告知监考人员。");
            hooks.render();
          } else {
            timers.set(attempt, RETRY_MS);
          }
        },
        () => {
          link.lost();
          hooks.render();
          timers.set(attempt, RETRY_MS);
        },
      );
    };
    attempt();
  }

  doc.getElementById("submit-open").addEventListener("click", (event) => {
    event.preventDefault();
    const unanswered = sheet.sections.filter((s) => !isAnswered(s)).map((s) => s.dataset.position);
    const flagged = sheet.sections.filter(flagOf).map((s) => s.dataset.position);
    doc.getElementById("confirm-unanswered").textContent = unanswered.length
      ? "还有 " + unanswered.length + " 道题未作答：第 " + unanswered.join("、") + " 题。"
      : "所有题目都已作答。";
    doc.getElementById("confirm-flagged").textContent = flagged.length ? "标记待查的题：第 " + flagged.join("、") + " 题。" : "";
    confirmBox.classList.remove("d-none");
    confirmBox.focus();
  });
  doc.getElementById("submit-cancel").addEventListener("click", () => confirmBox.classList.add("d-none"));
  doc.getElementById("submit-final").addEventListener("click", () => {
    if (!link.online && queue.size) {
      showProblem("网络中断，还有答案未保存，请等网络恢复后再交卷");
      hooks.flush();
      return;
    }
    confirmError.classList.add("d-none");
    refused = false;
    finish(false);
  });

  return {
    finish: finish,
    get finishing() {
      return finishing;
    },
    // answers may be given (not handing in, and not a hand-in-only page)
    get takesAnswers() {
      return !finishing && !handInOnly;
    },
    get handInOnly() {
      return handInOnly;
    },
    // time up hands in on its own unless a hand-in is under way or the server refused one
    get mayFinishOnTimeUp() {
      return !finishing && !refused;
    },
    // Logged in again: finish the hand-in that was waiting; false when none was.
    resumeAfterLogin() {
      if (afterLogin === null) {
        return false;
      }
      const timeUp = afterLogin;
      afterLogin = null;
      finish(timeUp);
      return true;
    },
    // the attempt closed while this page was cut off: hand in the rest (kept for review)
    finishLate() {
      finishing = false;
      finish(true);
    },
  };
}
