// Knapsack ballot: shows the running total of the selected projects against the envelope.
// Optional: the server checks the ballot whatever this script says.
(function () {
  "use strict";
  var form = document.querySelector("form[data-envelope-amount]");
  if (!form) { return; }
  var amount = Number(form.getAttribute("data-envelope-amount"));
  var output = document.getElementById("ballot-total");
  if (!output) { return; }
  var formatter = new Intl.NumberFormat(document.documentElement.lang || "fr", { maximumFractionDigits: 0 });
  function update() {
    var total = 0;
    form.querySelectorAll("input[type=checkbox][data-cost]:checked").forEach(function (box) {
      total += Number(box.getAttribute("data-cost"));
    });
    output.textContent = formatter.format(total) + " € / " + formatter.format(amount) + " €";
    output.classList.toggle("over", total > amount);
  }
  form.addEventListener("change", update);
  update();
})();
