// The status line says 已保存 only when nothing waits and nothing went wrong.
import assert from "node:assert/strict";
import { test } from "node:test";

import { describe } from "../../examapp/static/js/attempt/status.js";

const calm = { online: true, pending: 0, sending: false, unsaved: 0, problem: "" };
const line = (changes) => describe(Object.assign({}, calm, changes));

test("saved only when nothing waits", () => {
  assert.deepEqual(line({}), { state: "saved", text: "已保存" });
  assert.deepEqual(line({ pending: 1 }), { state: "saving", text: "正在保存…" });
  assert.deepEqual(line({ sending: true }), { state: "saving", text: "正在保存…" });
  assert.deepEqual(line({ unsaved: 2 }), { state: "error", text: "2 个答案未能保存" });
});

test("trouble is said, with what still waits", () => {
  assert.deepEqual(line({ online: false, pending: 3 }), { state: "offline", text: "网络中断：3 个答案等待发送" });
  assert.deepEqual(line({ problem: "服务器繁忙，正在重试", pending: 1 }), {
    state: "error",
    text: "服务器繁忙，正在重试（1 个答案等待发送）",
  });
  assert.deepEqual(line({ loginNeeded: true, pending: 2 }), {
    state: "error",
    text: "登录已失效：2 个答案暂存在本机，请重新登录",
  });
  assert.deepEqual(line({ stopped: true, unsaved: 1 }), { state: "error", text: "已停止保存：1 个答案未保存" });
  assert.deepEqual(line({ scriptError: true }), { state: "error", text: "页面程序出错，保存状态未知" });
});
