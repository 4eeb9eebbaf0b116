// Ballot: shows the running total of the chosen projects against the envelope (cost, what
// is left or over, the number of projects, the points). Optional: without it, the
// "Recalculer" button asks the server, which checks the ballot whatever this script says.
(function () {
  "use strict";
  var form = document.querySelector("form[data-envelope-amount]");
  var totals = document.getElementById("ballot-totals");
  if (!form || !totals) { return; }
  var amount = Number(form.getAttribute("data-envelope-amount"));
  var formatter = new Intl.NumberFormat(document.documentElement.lang || "fr", { maximumFractionDigits: 0 });
  function put(name, value) {
    var node = totals.querySelector("[data-total=" + name + "]");
    if (node) { node.textContent = formatter.format(value); }
  }
  function update() {
    var cost = 0, count = 0, points = 0;
    form.querySelectorAll("input[data-cost]").forEach(function (input) {
      var chosen = input.type === "checkbox" ? input.checked : Number(input.value) > 0;
      if (!chosen) { return; }
      count += 1;
      cost += Number(input.getAttribute("data-cost"));
      if (input.type === "number") { points += Math.floor(Number(input.value)); }
    });
    var over = cost > amount;
    put("cost", cost);
    put("left", Math.max(amount - cost, 0));
    put("over", Math.max(cost - amount, 0));
    put("count", count);
    put("points", points);
    totals.querySelector("output").classList.toggle("over", over);
    totals.querySelector("[data-show=left]").hidden = over;
    totals.querySelector("[data-show=over]").hidden = !over;
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
