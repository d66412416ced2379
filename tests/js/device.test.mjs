// The device id: one per browser profile (localStorage), shared by its tabs, kept in memory when
// the storage refuses it; said in the hello and with every save, those queued offline too.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createCheckin } from "../../examapp/static/js/attempt/checkin.js";
import { createLink } from "../../examapp/static/js/attempt/link.js";
import { createSaveQueue } from "../../examapp/static/js/attempt/queue.js";
import { createSaver } from "../../examapp/static/js/attempt/saver.js";

const TAB_MODULE = new URL("../../examapp/static/js/attempt/tab.js", import.meta.url).href;
const DEVICE = /^[0-9a-f]{32}$/;
let loads = 0;

// a fresh copy of tab.js: a page of its own (the in-memory fallback is the page's)
async function freshPage() {
  loads += 1;
  return import(TAB_MODULE + "?page=" + loads);
}

function memoryStorage() {
  const items = {};
  return {
    items,
    getItem: (key) => (key in items ? items[key] : null),
    setItem: (key, value) => {
      items[key] = String(value);
    },
    removeItem: (key) => {
      delete items[key];
    },
  };
}

function throwingStorage() {
  const refuse = () => {
    throw new Error("SecurityError");
  };
  return { getItem: refuse, setItem: refuse, removeItem: refuse };
}

test("made once on first use, kept under examapp.device and reused", async () => {
  const { deviceId } = await freshPage();
  const storage = memoryStorage();
  const id = deviceId(storage, globalThis.crypto);
  assert.match(id, DEVICE);
  assert.equal(storage.items["examapp.device"], id);
  assert.equal(deviceId(storage, globalThis.crypto), id);
});

test("every tab of one browser shares it; another browser has its own", async () => {
  const browser = memoryStorage();
  const first = (await freshPage()).deviceId(browser, globalThis.crypto);
  const second = (await freshPage()).deviceId(browser, globalThis.crypto);
  assert.equal(second, first);
  const other = (await freshPage()).deviceId(memoryStorage(), globalThis.crypto);
  assert.match(other, DEVICE);
  assert.notEqual(other, first);
});

test("without crypto it is still 32 hex digits", async () => {
  const { deviceId } = await freshPage();
  assert.match(deviceId(memoryStorage(), undefined), DEVICE);
});

test("a value that is not a device id is replaced", async () => {
  const { deviceId } = await freshPage();
  const storage = memoryStorage();
  storage.setItem("examapp.device", "not an id");
  const id = deviceId(storage, globalThis.crypto);
  assert.match(id, DEVICE);
  assert.equal(storage.items["examapp.device"], id);
});

test("a storage that throws, or none: an id in memory, the same for the whole page", async () => {
  const { deviceId } = await freshPage();
  const id = deviceId(throwingStorage(), globalThis.crypto);
  assert.match(id, DEVICE);
  assert.equal(deviceId(throwingStorage(), globalThis.crypto), id);
  assert.equal(deviceId(null, globalThis.crypto), id);
  const elsewhere = (await freshPage()).deviceId(null, globalThis.crypto);
  assert.match(elsewhere, DEVICE);
  assert.notEqual(elsewhere, id);
});

test("a full storage (reads, refuses to write) keeps the page's id in memory", async () => {
  const { deviceId } = await freshPage();
  const storage = memoryStorage();
  storage.setItem = () => {
    throw new Error("QuotaExceededError");
  };
  const id = deviceId(storage, globalThis.crypto);
  assert.match(id, DEVICE);
  assert.equal(deviceId(storage, globalThis.crypto), id);
});

test("the hello says the tab and the device", () => {
  const sent = [];
  const checkin = createCheckin({
    transport: {
      post(url, body) {
        sent.push([url, body]);
        return new Promise(() => {});
      },
    },
    token: "t",
    tab: "a".repeat(32),
    device: "b".repeat(32),
    urls: { hello: "/hello", state: "/state" },
    countdown: {},
    timers: {},
    hooks: {},
  });
  checkin.hello();
  assert.deepEqual(sent, [["/hello", { token: "t", tab: "a".repeat(32), device: "b".repeat(32) }]]);
});

test("every save carries the device, those queued offline too", async () => {
  const store = { update() {} };
  const queue = createSaveQueue({ store, now: () => 0 });
  const link = createLink({ store, now: () => 0 });
  const sent = [];
  let replies = [new Error("offline")];
  const saver = createSaver({
    queue,
    link,
    transport: {
      post(url, body) {
        sent.push(body);
        const reply = replies.shift();
        return reply instanceof Error ? Promise.reject(reply) : Promise.resolve(reply);
      },
    },
    url: "/save",
    token: "t",
    device: "c".repeat(32),
    timers: { set() {}, clear() {} },
    hooks: {
      blocked: () => false,
      canRetry: () => true,
      settle: (body) => queue.settle(body),
      sync() {},
      loginNeeded() {},
      refused() {},
      idle() {},
      problem() {},
      render() {},
    },
  });
  queue.add(1, "A", false);
  saver.flush();
  await new Promise((resolve) => setTimeout(resolve, 0));
  queue.add(2, "B", false); // given while the link is down: queued
  assert.equal(queue.size, 2);
  replies = [{ ok: true, status: 200, body: { status: "saved", acked: [1, 2], seconds_left: 60 } }];
  saver.flush();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(queue.size, 0);
  assert.equal(sent.length, 2);
  sent.forEach((body) => assert.equal(body.device, "c".repeat(32)));
  assert.deepEqual(
    sent[1].saves.map((s) => s.seq),
    [1, 2],
  );
  assert.equal(saver.envelope(queue.batch(1), { time_up: true }).device, "c".repeat(32)); // the hand-in too
});

test("a saver without a device id sends no device key", () => {
  const store = { update() {} };
  const saver = createSaver({
    queue: createSaveQueue({ store, now: () => 0 }),
    link: createLink({ store, now: () => 0 }),
    transport: {},
    url: "/save",
    token: "t",
    timers: {},
    hooks: {},
  });
  assert.equal("device" in saver.envelope([]), false);
});
