// Leaving the page: hidden at once, another window only after 5 s, a reload never.
import assert from "node:assert/strict";
import { test } from "node:test";

import { AWAY_AFTER_MS, createDepartures } from "../../examapp/static/js/attempt/departures.js";

function setUp() {
  let clock = 0;
  let focus = true;
  const reports = [];
  const timers = [];
  const departures = createDepartures({
    report: (kind, detail) => reports.push([kind, detail]),
    hasFocus: () => focus,
    now: () => clock,
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: (t) => timers.splice(timers.indexOf(t), 1),
  });
  return {
    departures,
    reports,
    timers,
    advance: (ms) => (clock += ms),
    setFocus: (value) => (focus = value),
  };
}

test("a hidden page is a departure at once; its return reports how long", () => {
  const { departures, reports, advance } = setUp();
  departures.hidden();
  advance(12_000);
  departures.shown();
  assert.deepEqual(reports, [
    ["departure", { how: "hidden" }],
    ["return", { duration_ms: 12_000 }],
  ]);
});

test("another window is a departure only after the threshold, counted from the blur", () => {
  const { departures, reports, timers, advance, setFocus } = setUp();
  setFocus(false);
  departures.blurred();
  assert.equal(timers[0].ms, AWAY_AFTER_MS);
  assert.deepEqual(reports, []);
  advance(AWAY_AFTER_MS);
  timers.shift().fn();
  advance(1000);
  departures.focused();
  assert.deepEqual(reports, [
    ["departure", { how: "blur" }],
    ["return", { duration_ms: AWAY_AFTER_MS + 1000 }],
  ]);
});

test("focus back within the threshold is no departure", () => {
  const { departures, reports, timers } = setUp();
  departures.blurred();
  departures.focused();
  assert.equal(timers.length, 0);
  assert.deepEqual(reports, []);
});

test("a reload is not leaving the exam", () => {
  const { departures, reports, timers } = setUp();
  departures.unloading();
  departures.hidden();
  departures.blurred();
  assert.equal(timers.length, 0);
  assert.deepEqual(reports, []);
});
