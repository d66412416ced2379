// The save queue: every answer given, with its sequence number, until the server names it.
//
// Nothing the page queued is thrown away on its own say: a save leaves the queue only when a
// reply names its seq (stored, superseded, kept for review as a late delivery, or refused with
// a reason). A newer answer to the same question replaces the queued one; the order of the
// others is kept.

function list(value) {
  return Array.isArray(value) ? value : [];
}

function givenKey(response, flagged) {
  return JSON.stringify([response, flagged]);
}

// stored: what the last page left ({seq, queue}); store: where the queue is kept;
// lastSeq: the last seq the server has; now: the PC clock (only ages are sent).
export function createSaveQueue({ stored = {}, store, lastSeq = 0, now = Date.now }) {
  let seq = Math.max(parseInt(lastSeq, 10) || 0, stored.seq || 0);
  let saves = list(stored.queue);
  let lateCount = 0;
  // What each question last had from this page (or the server), so that a change that changes
  // nothing (a blank's text saved after a pause and again when leaving the field) is not
  // saved twice.
  const given = {};

  function persist() {
    store.update({ seq: seq, queue: saves });
  }

  return {
    get size() {
      return saves.length;
    },
    get seq() {
      return seq;
    },
    // how many saves the server kept for review because they arrived after the end
    get lateCount() {
      return lateCount;
    },
    pending() {
      return saves.slice();
    },
    batch(limit) {
      return saves.slice(0, limit);
    },
    remember(position, response, flagged) {
      given[position] = givenKey(response, flagged);
    },
    // Queue an answer; null when it is what the question already has.
    add(position, response, flagged) {
      const key = givenKey(response, flagged);
      if (given[position] === key) {
        return null;
      }
      given[position] = key;
      seq += 1;
      const save = { seq: seq, position: position, response: response, flagged: flagged, at: now() };
      saves = saves.filter((s) => s.position !== position);
      saves.push(save);
      persist();
      return save;
    },
    // The saves as sent: each says how long ago it was given (a slow link or an offline queue
    // delays it), so the server records when the examinee answered, not when it arrived.
    outgoing(batch) {
      const at = now();
      return batch.map((s) => ({
        seq: s.seq,
        position: s.position,
        response: s.response,
        flagged: s.flagged,
        age_ms: s.at ? Math.max(0, at - s.at) : 0,
      }));
    },
    // Forget what the server is done with; returns the refusals ({position, error}) to show.
    settle(body) {
      const done = {};
      ["acked", "stale", "late"].forEach((key) => {
        list(body[key]).forEach((n) => {
          done[n] = true;
        });
      });
      lateCount += list(body.late).length;
      const refusals = [];
      list(body.refused).forEach((r) => {
        if (!r || typeof r.seq !== "number") {
          return;
        }
        done[r.seq] = true;
        if (typeof r.position === "number") {
          refusals.push({ position: r.position, error: r.error });
          delete given[r.position]; // the same answer given again is sent again
        }
      });
      const before = saves.length;
      saves = saves.filter((s) => !done[s.seq]);
      if (saves.length !== before) {
        persist();
      }
      return refusals;
    },
    // handed in, or the attempt closed: nothing is left to send
    clear() {
      saves = [];
    },
  };
}
