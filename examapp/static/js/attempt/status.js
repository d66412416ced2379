// The status line and the page's messages. The line starts as 正在连接… (from the template) and
// says 已保存 only when nothing is waiting and the server has named every save.

// The line for a state of the page: {state, text}. page: scriptError, stopped, loginNeeded,
// finishing, online, pending (answers queued), sending, problem, unsaved (questions).
export function describe(page) {
  const waiting = page.pending ? page.pending + " 个答案" : "";
  if (page.scriptError) {
    return { state: "error", text: "页面程序出错，保存状态未知" };
  }
  if (page.stopped) {
    return { state: "error", text: "已停止保存" + (page.unsaved ? "：" + page.unsaved + " 个答案未保存" : "") };
  }
  if (page.loginNeeded) {
    return { state: "error", text: "登录已失效：" + (waiting ? waiting + "暂存在本机，" : "") + "请重新登录" };
  }
  if (page.finishing) {
    return { state: "saving", text: page.online ? "正在交卷…" : "网络中断，正在重试交卷（答案暂存在本机）" };
  }
  if (!page.online && page.pending) {
    return { state: "offline", text: "网络中断：" + waiting + "等待发送" };
  }
  if (page.problem) {
    return { state: "error", text: page.problem + (waiting ? "（" + waiting + "等待发送）" : "") };
  }
  if (page.pending || page.sending) {
    return { state: "saving", text: "正在保存…" };
  }
  if (page.unsaved) {
    return { state: "error", text: page.unsaved + " 个答案未能保存" };
  }
  return { state: "saved", text: page.online ? "已保存" : "已保存（网络中断）" };
}

// doc: the page's document; pageState(): the owners' part of describe's argument.
export function createStatusView(doc, pageState) {
  const line = doc.getElementById("save-status");
  const startup = doc.getElementById("startup-warning");
  const announcer = doc.getElementById("announce");
  let problem = "";
  let scriptError = false;

  function render() {
    const shown = describe(Object.assign({}, pageState(), { problem: problem, scriptError: scriptError }));
    if (line.dataset.state !== shown.state || line.textContent !== shown.text) {
      line.dataset.state = shown.state;
      line.textContent = shown.text;
    }
  }

  function showBox(id, text) {
    const box = doc.getElementById(id);
    box.textContent = text;
    box.classList.remove("d-none");
  }

  return {
    render: render,
    // what went wrong with the last save or hand-in ("" once a save went through)
    problem(text) {
      problem = text;
    },
    scriptFailed() {
      scriptError = true;
      showStartupProblem(doc, "答题页面程序出错，答案可能没有保存。请不要关闭此页面，立即告知监考人员。");
    },
    started() {
      if (startup && !scriptError) {
        startup.classList.add("d-none");
      }
    },
    announce(text) {
      announcer.textContent = text;
    },
    stopped(text) {
      showBox("takeover", text);
    },
    departed(count, limit) {
      let text = "您已离开考试页面 " + count + " 次，离开记录已上报。";
      if (limit) {
        text += "离开达到 " + limit + " 次将自动交卷（还剩 " + Math.max(limit - count, 0) + " 次）。";
      }
      showBox("warning", text);
    },
  };
}

// The red warning that answers cannot be saved, and the status line saying so.
export function showStartupProblem(doc, text) {
  const startup = doc.getElementById("startup-warning");
  if (startup) {
    startup.textContent = text;
    startup.classList.remove("d-none");
  }
  const line = doc.getElementById("save-status");
  if (line) {
    line.dataset.state = "error";
    line.textContent = "答案无法保存";
  }
}
