/* The report form: show only the extra questions of the chosen category.
 * Without JavaScript every category's questions stay visible (each fieldset says which
 * category it belongs to) and only the chosen one's answers are used by the server. */
(function () {
  "use strict";
  function update(form) {
    var chosen = form.querySelector('input[name="category"]:checked');
    var code = chosen ? chosen.value : "";
    var groups = form.querySelectorAll("fieldset.questions[data-category]");
    for (var i = 0; i < groups.length; i++) {
      groups[i].hidden = groups[i].getAttribute("data-category") !== code;
    }
  }
  function start() {
    var radio = document.querySelector('input[name="category"]');
    var form = radio ? radio.form : null;
    if (!form) {
      return;
    }
    form.addEventListener("change", function (event) {
      if (event.target && event.target.name === "category") {
        update(form);
      }
    });
    update(form);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
