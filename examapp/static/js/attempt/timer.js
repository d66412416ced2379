// The countdown as shown: the time left, red in the last five minutes.
import { formatClock } from "./countdown.js";

export function countdownView(doc) {
  const timer = doc.getElementById("timer");
  return (left) => {
    timer.textContent = formatClock(left);
    timer.classList.toggle("timer-low", left <= 300);
  };
}
