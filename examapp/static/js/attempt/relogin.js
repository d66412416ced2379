// Logging in again, in place: a session that ended is not a bad answer. The page keeps its
// queue, asks for the password in a small dialog and goes on once the owner is back.

// onBack(): what to do once logged in again (send the queue, or finish a hand-in).
export function createRelogin(doc, { transport, url, onBack }) {
  const box = doc.getElementById("relogin");
  const form = doc.getElementById("relogin-form");
  const error = doc.getElementById("relogin-error");
  const password = doc.getElementById("relogin-password");
  let open = false;

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const username = doc.getElementById("relogin-username").value;
    if (!password.value) {
      error.textContent = "请输入密码";
      password.focus();
      return;
    }
    error.textContent = "正在登录…";
    transport
      .relogin(url, username, password.value)
      .then((res) => {
        if (res.ok && res.body.csrf) {
          password.value = "";
          error.textContent = "";
          box.classList.add("d-none");
          open = false;
          onBack();
          return;
        }
        error.textContent = res.body.error || "登录失败，请重试";
        password.select();
      })
      .catch(() => {
        error.textContent = "网络异常，无法登录，请稍后再试（答案仍暂存在本机）";
      });
  });

  return {
    get isOpen() {
      return open;
    },
    ask(message) {
      open = true;
      error.textContent = message || "登录已失效，请输入密码重新登录";
      box.classList.remove("d-none");
      password.focus();
    },
  };
}
