// Talking to the server: JSON in, JSON out. Every reply becomes {ok, status, body}; anything
// that is not the app's JSON (a proxy's error page, a redirect) counts as nothing saved.

export function sessionEnded(res) {
  // the login ended (401), or the page's token is one the session no longer knows (400 csrf)
  return res.status === 401 || res.status === 403 || (res.status === 400 && res.body.reason === "csrf");
}

// page: the page's own token, sent in the X-Exam-Page header: a save of one answer carrying it is
// answered by the token alone (no session or CSRF check, see examapp/sitting/lean.py); everything
// else, and any save the server does not take that way, still goes with the session and CSRF token.
export function createTransport({ fetch, csrf, page }) {
  let token = csrf;

  function request(method, url, body) {
    const options = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token },
      redirect: "manual",
    };
    if (page) {
      options.headers["X-Exam-Page"] = page;
    }
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then((response) => {
      const type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        return { ok: false, status: response.status || 0, body: {} };
      }
      return response.json().then(
        (data) => ({ ok: response.ok, status: response.status, body: data || {} }),
        () => ({ ok: false, status: response.status || 0, body: {} }),
      );
    });
  }

  return {
    get: (url) => request("GET", url),
    post: (url, body) => request("POST", url, body),
    // Log the attempt's owner in again: a fresh token first, then the password. Resolves to
    // the login's reply; rejects when no token could be had (the network).
    relogin(url, username, password) {
      return request("GET", url)
        .then((res) => {
          if (!res.ok || !res.body.csrf) {
            throw new Error("token");
          }
          token = res.body.csrf;
          return request("POST", url, { username: username, password: password });
        })
        .then((res) => {
          if (res.ok && res.body.csrf) {
            token = res.body.csrf;
          }
          return res;
        });
    },
  };
}
