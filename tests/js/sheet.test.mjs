// The answer sheet says each question's state in a mark and in words, never by colour alone.
import assert from "node:assert/strict";
import { test } from "node:test";

import { sheetCount, sheetState } from "../../examapp/static/js/attempt/sheet.js";

test("each state has its own mark and words", () => {
  assert.deepEqual(sheetState(3, false, false, false), { mark: "", label: "第 3 题，未作答" });
  assert.deepEqual(sheetState(3, true, false, false), { mark: "✓", label: "第 3 题，已作答" });
  assert.deepEqual(sheetState(3, true, true, false), { mark: "✓?", label: "第 3 题，已作答，已标记" });
  assert.deepEqual(sheetState(3, false, true, false), { mark: "?", label: "第 3 题，未作答，已标记" });
  assert.deepEqual(sheetState(3, true, false, true), { mark: "!", label: "第 3 题，答案未保存" });
});

test("the count line names what is flagged and not saved only when there is some", () => {
  assert.equal(sheetCount(50, 0, 0, 0), "已答 0 / 50 题");
  assert.equal(sheetCount(50, 12, 2, 0), "已答 12 / 50 题，标记 2 题");
  assert.equal(sheetCount(50, 12, 0, 1), "已答 12 / 50 题，1 题未保存");
});
