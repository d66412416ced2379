// Sending the queue: whatever goes wrong, an answer the server did not name stays queued.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createLink } from "../../examapp/static/js/attempt/link.js";
import { createSaveQueue } from "../../examapp/static/js/attempt/queue.js";
import { createSaver } from "../../examapp/static/js/attempt/saver.js";

function setUp(replies) {
  const store = { update() {} };
  const queue = createSaveQueue({ store, now: () => 0 });
  const link = createLink({ store, now: () => 0 });
  const sent = [];
  const timers = { due: [], set: (fn, ms) => timers.due.push([fn, ms]), clear() {} };
  const seen = { problems: [], logins: [], refused: [], synced: [] };
  const transport = {
    post(url, body) {
      sent.push(body);
      if (!replies.length) {
        return new Promise(() => {}); // still out
      }
      const reply = replies.shift();
      return reply instanceof Error ? Promise.reject(reply) : Promise.resolve(reply);
    },
  };
  const saver = createSaver({
    queue,
    link,
    transport,
    url: "/save",
    token: "t",
    timers,
    hooks: {
      blocked: () => false,
      canRetry: () => true,
      settle: (body) => queue.settle(body),
      sync: (s) => seen.synced.push(s),
      loginNeeded: (e) => seen.logins.push(e),
      refused: (body) => seen.refused.push(body),
      idle() {},
      problem: (t) => seen.problems.push(t),
      render() {},
    },
  });
  return { queue, link, saver, sent, timers, seen };
}

const settled = () => new Promise((resolve) => setTimeout(resolve, 0));
const ok = (body) => ({ ok: true, status: 200, body: Object.assign({ status: "saved" }, body) });

test("saved: the named saves leave, the server's time is taken", async () => {
  const { queue, saver, sent, seen } = setUp([ok({ acked: [1, 2], seconds_left: 100 })]);
  queue.add(1, "A", false);
  queue.add(2, "B", false);
  saver.flush();
  await settled();
  assert.equal(queue.size, 0);
  assert.deepEqual(
    sent[0].saves.map((s) => s.seq),
    [1, 2],
  );
  assert.deepEqual(seen.synced, [100]);
});

for (const [name, reply] of [
  ["a busy server", { ok: false, status: 503, body: {} }],
  ["a proxy's page", { ok: false, status: 502, body: {} }],
  ["a malformed request", { ok: false, status: 400, body: { error: "请求无效" } }],
  ["no network", new Error("offline")],
  ["the login ended", { ok: false, status: 401, body: { reason: "login" } }],
  ["the token expired", { ok: false, status: 400, body: { reason: "csrf" } }],
  ["a saved reply naming nothing", ok({})],
]) {
  test(`${name}: every answer stays queued`, async () => {
    const { queue, saver } = setUp([reply, ok({})]);
    queue.add(1, "A", false);
    saver.flush();
    await settled();
    assert.deepEqual(
      queue.pending().map((s) => s.seq),
      [1],
    );
  });
}

test("a failed request is retried later, waiting longer each time", async () => {
  const busy = { ok: false, status: 503, body: {} };
  const { queue, saver, timers, seen } = setUp([busy, busy]);
  queue.add(1, "A", false);
  saver.flush();
  await settled();
  assert.equal(seen.problems.at(-1), "服务器繁忙，正在重试");
  timers.due.shift()[0]();
  await settled();
  assert.deepEqual(
    timers.due.map(([, ms]) => ms),
    [2000],
  );
});

test("no network: the link is on record as lost and the next save says for how long", async () => {
  const { queue, link, saver } = setUp([new Error("offline")]);
  queue.add(1, "A", false);
  saver.flush();
  await settled();
  assert.equal(link.online, false);
  assert.ok("offline_ms" in saver.envelope(queue.batch(1)));
});

test("a 400 that names refused saves drops those, keeps and sends the rest", async () => {
  const { queue, saver, sent } = setUp([
    { ok: false, status: 400, body: { refused: [{ seq: 1, position: 1, error: "x" }] } },
    ok({ acked: [2] }),
  ]);
  queue.add(1, "A", false);
  queue.add(2, "B", false);
  saver.flush();
  await settled();
  await settled();
  assert.equal(sent.length, 2);
  assert.deepEqual(
    sent[1].saves.map((s) => s.seq),
    [2],
  );
  assert.equal(queue.size, 0);
});

test("409: what the reply names leaves, the rest stays for the page to deal with", async () => {
  const { queue, saver, seen } = setUp([{ ok: false, status: 409, body: { reason: "closed", late: [1] } }]);
  queue.add(1, "A", false);
  queue.add(2, "B", false);
  saver.flush();
  await settled();
  assert.deepEqual(
    queue.pending().map((s) => s.seq),
    [2],
  );
  assert.equal(seen.refused[0].reason, "closed");
});

test("a session that ended asks for the login instead of retrying", async () => {
  const { queue, saver, timers, seen } = setUp([{ ok: false, status: 401, body: { error: "登录已失效" } }]);
  queue.add(1, "A", false);
  saver.flush();
  await settled();
  assert.deepEqual(seen.logins, ["登录已失效"]);
  assert.equal(timers.due.length, 0);
});
