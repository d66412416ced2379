// Runs only in a browser without ES modules (<script nomodule>), which cannot run the exam
// page's script (js/attempt/main.js): say plainly that answers cannot be saved, and never let
// the status line say 已保存. Plain ES3, for the oldest browsers.
(function () {
  "use strict";
  var startup = document.getElementById("startup-warning");
  var status = document.getElementById("save-status");
  if (startup) {
    startup.innerHTML = "";
    startup.appendChild(
      document.createTextNode("此浏览器版本过旧，不能自动保存答案。请不要继续作答，立即告知监考人员换用其他电脑或浏览器。")
    );
    startup.className = startup.className.replace(/(^|\s)d-none(\s|$)/, " ");
  }
  if (status) {
    status.setAttribute("data-state", "error");
    status.innerHTML = "";
    status.appendChild(document.createTextNode("答案无法保存"));
  }
})();
