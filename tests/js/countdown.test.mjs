// The countdown runs on the server's remaining seconds and a monotonic clock, never the PC's date.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createCountdown, formatClock } from "../../examapp/static/js/attempt/countdown.js";

function countdownFrom(seconds) {
  let clock = 5_000_000; // a monotonic clock: where it starts means nothing
  const countdown = createCountdown({ seconds, now: () => clock, resyncMs: 30000 });
  return { countdown, advance: (ms) => (clock += ms) };
}

test("counts down from the server's seconds, whatever the PC's date says", () => {
  const realNow = Date.now;
  Date.now = () => 0; // a PC clock decades off changes nothing
  try {
    const { countdown, advance } = countdownFrom("90");
    assert.equal(countdown.secondsLeft(), 90);
    advance(30_400);
    assert.equal(countdown.secondsLeft(), 60);
  } finally {
    Date.now = realNow;
  }
});

test("the server's time moves the end: a page whose timer ran fast or slow is corrected", () => {
  const { countdown, advance } = countdownFrom(600);
  advance(100_000);
  assert.equal(countdown.secondsLeft(), 500);
  countdown.sync(520); // the server says 520 left: the page was 20 s fast
  assert.equal(countdown.secondsLeft(), 520);
  countdown.sync(undefined); // a reply without the time changes nothing
  countdown.sync("12");
  assert.equal(countdown.secondsLeft(), 520);
});

test("reaching zero stays at zero", () => {
  const { countdown, advance } = countdownFrom(2);
  assert.equal(countdown.isUp(), false);
  advance(2000);
  assert.equal(countdown.secondsLeft(), 0);
  assert.equal(countdown.isUp(), true);
  advance(60_000);
  assert.equal(countdown.secondsLeft(), 0);
});

test("extra time granted after zero starts the clock again", () => {
  const { countdown, advance } = countdownFrom(1);
  advance(5000);
  assert.equal(countdown.isUp(), true);
  countdown.sync(300); // the hand-in's reply: continue, 300 s left
  assert.equal(countdown.isUp(), false);
  advance(1000);
  assert.equal(countdown.secondsLeft(), 299);
});

test("a page that starts without seconds is at zero", () => {
  assert.equal(countdownFrom("").countdown.secondsLeft(), 0);
});

test("asks for the state only when nothing was heard for about 30 s", () => {
  const { countdown, advance } = countdownFrom(3600);
  advance(28_000);
  assert.equal(countdown.needsResync(), false);
  advance(1_000);
  assert.equal(countdown.needsResync(), true);
  countdown.sync(3500);
  assert.equal(countdown.needsResync(), false);
});

test("10, 5 and 1 minute left are announced once each", () => {
  const { countdown } = countdownFrom(3600);
  assert.equal(countdown.announcement(700), null);
  assert.equal(countdown.announcement(600), 600);
  assert.equal(countdown.announcement(598), null);
  assert.equal(countdown.announcement(590), null, "past the mark's 5 s window");
  assert.equal(countdown.announcement(297), 300);
  assert.equal(countdown.announcement(60), 60);
  assert.equal(countdown.announcement(60), null);
});

test("the clock reads m:ss, or h:mm:ss from an hour", () => {
  assert.equal(formatClock(0), "0:00");
  assert.equal(formatClock(65), "1:05");
  assert.equal(formatClock(3600), "1:00:00");
  assert.equal(formatClock(7322), "2:02:02");
});
