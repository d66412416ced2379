// The save queue: a save leaves it only when the server names its seq.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createSaveQueue } from "../../examapp/static/js/attempt/queue.js";

function memoryStore(stored = {}) {
  const writes = [];
  return { stored, writes, update: (fields) => writes.push(JSON.parse(JSON.stringify(fields))) };
}

function queueWith(options = {}) {
  let clock = 1000;
  const store = memoryStore(options.stored);
  const queue = createSaveQueue({ stored: store.stored, store, lastSeq: options.lastSeq, now: () => clock });
  return { queue, store, advance: (ms) => (clock += ms) };
}

const seqs = (queue) => queue.pending().map((s) => s.seq);

test("seqs continue after the server's last seq and what the last page stored", () => {
  assert.equal(queueWith({ lastSeq: "7" }).queue.add(1, "A", false).seq, 8);
  const { queue } = queueWith({ lastSeq: "7", stored: { seq: 12, queue: [{ seq: 12, position: 3, response: "B" }] } });
  assert.deepEqual(seqs(queue), [12]);
  assert.equal(queue.add(1, "A", false).seq, 13);
});

test("a new answer to a question replaces its queued one; the others keep their order", () => {
  const { queue, store } = queueWith();
  queue.add(1, "A", false);
  queue.add(2, "B", false);
  queue.add(1, "C", true);
  assert.deepEqual(
    queue.pending().map((s) => [s.seq, s.position, s.response, s.flagged]),
    [
      [2, 2, "B", false],
      [3, 1, "C", true],
    ],
  );
  assert.deepEqual(store.writes.at(-1).queue.map((s) => s.seq), [2, 3]);
  assert.equal(store.writes.at(-1).seq, 3);
});

test("an answer that changes nothing is not queued again", () => {
  const { queue } = queueWith();
  queue.remember("1", "A", false);
  assert.equal(queue.add(1, "A", false), null);
  assert.ok(queue.add(1, "A", true));
  assert.equal(queue.add(1, "A", true), null);
  assert.equal(queue.size, 1);
});

test("settling drops only the seqs the reply names: acked, stale, late, refused", () => {
  const { queue } = queueWith();
  for (let position = 1; position <= 6; position += 1) {
    queue.add(position, "A", false);
  }
  const refusals = queue.settle({
    acked: [1],
    stale: [2],
    late: [3],
    refused: [{ seq: 4, position: 4, error: "第 4 题：答案格式不对" }],
  });
  assert.deepEqual(seqs(queue), [5, 6]);
  assert.deepEqual(refusals, [{ position: 4, error: "第 4 题：答案格式不对" }]);
  assert.equal(queue.lateCount, 1);
});

test("a reply that names nothing, or names unknown seqs, drops nothing", () => {
  const { queue, store } = queueWith();
  queue.add(1, "A", false);
  queue.add(2, "B", false);
  const writes = store.writes.length;
  for (const body of [{}, { status: "error" }, { acked: [99], stale: "1", refused: [{ seq: "1" }, null, {}] }]) {
    assert.deepEqual(queue.settle(body), []);
  }
  assert.deepEqual(seqs(queue), [1, 2]);
  assert.equal(store.writes.length, writes, "nothing changed, nothing written");
});

test("an acknowledgement of an older seq does not drop the newer answer that replaced it", () => {
  const { queue } = queueWith();
  queue.add(1, "A", false); // seq 1, sent
  queue.add(1, "B", false); // seq 2 replaces it while the request is out
  queue.settle({ acked: [1] });
  assert.deepEqual(
    queue.pending().map((s) => [s.seq, s.response]),
    [[2, "B"]],
  );
});

test("a refused answer given again is sent again", () => {
  const { queue } = queueWith();
  queue.add(1, "A", false);
  queue.settle({ refused: [{ seq: 1, position: 1, error: "x" }] });
  assert.equal(queue.size, 0);
  assert.ok(queue.add(1, "A", false), "the same answer is queued again");
});

test("a refusal without a position is dropped but not shown", () => {
  const { queue } = queueWith();
  queue.add(1, "A", false);
  assert.deepEqual(queue.settle({ refused: [{ seq: 1 }] }), []);
  assert.equal(queue.size, 0);
});

test("late saves are counted across replies", () => {
  const { queue } = queueWith();
  queue.add(1, "A", false);
  queue.add(2, "B", false);
  queue.settle({ late: [1] });
  queue.settle({ late: [2] });
  assert.equal(queue.lateCount, 2);
});

test("saves go out with their age, never the PC's time of day", () => {
  const { queue, advance } = queueWith();
  queue.add(1, "A", false);
  advance(2500);
  queue.add(2, ["x", "y"], true);
  advance(500);
  assert.deepEqual(queue.outgoing(queue.batch(100)), [
    { seq: 1, position: 1, response: "A", flagged: false, age_ms: 3000 },
    { seq: 2, position: 2, response: ["x", "y"], flagged: true, age_ms: 500 },
  ]);
  // a save stored by an older page without its time goes out with no age
  const old = queueWith({ stored: { seq: 1, queue: [{ seq: 1, position: 1, response: "A" }] } }).queue;
  assert.equal(old.outgoing(old.batch(1))[0].age_ms, 0);
});

test("a batch is the oldest saves, and stays queued until settled", () => {
  const { queue } = queueWith();
  for (let position = 1; position <= 5; position += 1) {
    queue.add(position, "A", false);
  }
  assert.deepEqual(
    queue.batch(2).map((s) => s.seq),
    [1, 2],
  );
  assert.equal(queue.size, 5);
});

test("a stored queue that is not a list is ignored", () => {
  assert.equal(queueWith({ stored: { seq: 3, queue: "broken" } }).queue.size, 0);
});
