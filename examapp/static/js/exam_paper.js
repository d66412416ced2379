// Paper editors: keep each row's subtotal and the paper total current while typing.
// The server computes the same figures on every submit; this only saves a round trip.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-blueprint]");
  if (!form) { return; }

  function cents(text) {
    var value = String(text || "").trim();
    if (!/^\d+(\.\d{1,2})?$/.test(value)) { return null; }
    return Math.round(parseFloat(value) * 100);
  }

  function show(centsValue) {
    return centsValue === null ? "" : String(centsValue / 100);
  }

  function update() {
    var total = 0;
    form.querySelectorAll("tr[data-row]").forEach(function (row) {
      var points = cents((row.querySelector("[data-points]") || {}).value);
      var countInput = row.querySelector("[data-count]");
      var count;
      if (countInput) {
        count = /^\d+$/.test(countInput.value.trim()) ? parseInt(countInput.value, 10) : null;
      } else {
        var first = row.querySelector("input");
        count = first && first.value.trim() ? 1 : null;
      }
      var subtotal = points === null || count === null ? null : points * count;
      var cell = row.querySelector("[data-subtotal]");
      if (cell) { cell.textContent = show(subtotal); }
      total += subtotal || 0;
    });
    var totalCell = form.querySelector("[data-total]");
    if (totalCell) {
      totalCell.textContent = show(total);
      totalCell.classList.toggle("text-danger", total !== 10000);
      totalCell.classList.toggle("text-success", total === 10000);
    }
  }

  form.addEventListener("input", update);
  update();
});
