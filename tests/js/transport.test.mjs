// The transport sends the page's token in its own header, beside the CSRF token.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createTransport } from "../../examapp/static/js/attempt/transport.js";

function recorder() {
  const calls = [];
  const fetch = (url, options) => {
    calls.push({ url, options });
    return Promise.resolve({
      ok: true,
      status: 200,
      headers: { get: () => "application/json" },
      json: () => Promise.resolve({ status: "saved" }),
    });
  };
  return { calls, fetch };
}

test("every request carries the page token and the CSRF token", async () => {
  const { calls, fetch } = recorder();
  const transport = createTransport({ fetch, csrf: "csrf-1", page: "page-token-1" });
  const res = await transport.post("/attempt/1/save", { token: "page-token-1", saves: [] });
  assert.equal(res.ok, true);
  assert.equal(calls[0].options.headers["X-Exam-Page"], "page-token-1");
  assert.equal(calls[0].options.headers["X-CSRFToken"], "csrf-1");
  assert.equal(calls[0].options.headers["Content-Type"], "application/json");
});

test("without a page token no header is sent", async () => {
  const { calls, fetch } = recorder();
  const transport = createTransport({ fetch, csrf: "csrf-1" });
  await transport.get("/attempt/1/state");
  assert.equal("X-Exam-Page" in calls[0].options.headers, false);
});
