// The practice page: send the answer as JSON, then show right/wrong, the key, 解析 and 依据.
// Without JavaScript the form posts as a plain form and the server renders the same result.

const form = document.getElementById("practice-form");
const result = document.getElementById("practice-result");
const error = document.getElementById("practice-error");
const submit = document.getElementById("practice-submit");

// The answer as the page shows it: letters as shown, T/F, or each blank's text in order.
export function collectResponse(formElement) {
  const qtype = formElement.elements.qtype.value;
  const inputs = Array.from(formElement.querySelectorAll('[name="answer"]'));
  if (qtype === "blank") return inputs.map((input) => input.value);
  return inputs
    .filter((input) => input.checked)
    .map((input) => input.value)
    .sort()
    .join("");
}

function intOrNull(value) {
  return /^\d+$/.test(value) ? Number(value) : null;
}

export function payloadOf(formElement) {
  const order = formElement.elements.order.value;
  return {
    question_id: intOrNull(formElement.elements.question_id.value),
    version_id: intOrNull(formElement.elements.version_id.value),
    order: order ? order.split(",").map(Number) : null,
    response: collectResponse(formElement),
    shown_at: intOrNull(formElement.elements.shown_at.value),
  };
}

function showResult(reply) {
  const verdict = document.getElementById("result-verdict");
  verdict.textContent = reply.correct ? "回答正确" : "回答错误";
  verdict.classList.toggle("text-success", reply.correct);
  verdict.classList.toggle("text-danger", !reply.correct);
  result.classList.toggle("border-success", reply.correct);
  result.classList.toggle("border-danger", !reply.correct);
  document.getElementById("result-key").textContent = reply.key;
  document.getElementById("result-explanation").textContent = reply.explanation || "（无）";
  document.getElementById("result-source").textContent = reply.source || "（无）";
  for (const input of form.querySelectorAll('[name="answer"]')) input.disabled = true;
  submit.hidden = true;
  form.dataset.answered = "1";
  result.hidden = false;
  document.getElementById("practice-next").focus();
}

async function send(event) {
  event.preventDefault();
  if (form.dataset.answered || submit.disabled) return;
  error.textContent = "";
  submit.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": form.dataset.csrf },
      body: JSON.stringify(payloadOf(form)),
    });
    let reply = null;
    try {
      reply = await response.json();
    } catch {
      reply = null;
    }
    if (response.ok && reply && reply.status === "answered") {
      showResult(reply);
    } else {
      error.textContent = (reply && reply.error) || "提交失败，请稍后再试";
    }
  } catch {
    error.textContent = "网络连接中断，答案未提交，请稍后再试";
  } finally {
    submit.disabled = false;
  }
}

if (form && result && submit && !form.dataset.answered) {
  form.addEventListener("submit", send);
}
if (form && form.dataset.answered) {
  const next = document.getElementById("practice-next");
  if (next) next.focus();
}
