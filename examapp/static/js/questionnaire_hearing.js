// 一听 form: the survey's counts only apply when the source is the team's own survey.
// The page works without this; the server ignores the counts for the questionnaire.
document.addEventListener("DOMContentLoaded", function () {
  var counts = document.querySelector("[data-survey-counts]");
  var options = document.querySelectorAll("input[data-source]");
  if (!counts || !options.length) {
    return;
  }
  function update() {
    var chosen = document.querySelector("input[data-source]:checked");
    counts.disabled = chosen !== null && chosen.value === "questionnaire";
  }
  options.forEach(function (option) { option.addEventListener("change", update); });
  update();
});
