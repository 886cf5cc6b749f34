// Saves the score the customer clicked in the email, after a short visible countdown; the button
// saves it at once. Opening the link alone never records anything: this script (or a press of the
// button) sends the same form a person would, and a page left in the background waits.
(function () {
  "use strict";
  var form = document.getElementById("confirm");
  var note = document.getElementById("confirm-note");
  if (!form || !note || !window.fetch || !window.URLSearchParams || !window.FormData) {
    return;
  }
  var left = parseInt(form.getAttribute("data-seconds"), 10) || 3;
  var done = false;

  function save() {
    if (done) {
      return;
    }
    done = true;
    var body = new URLSearchParams(new FormData(form));
    body.set("auto", "1");
    note.textContent = "Saving\u2026";
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST", body: body, credentials: "omit", redirect: "error"
    }).then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      note.textContent = form.getAttribute("data-saved");
      form.querySelector("button").hidden = true;
    }).catch(function () {
      done = false;
      note.textContent = "We could not save it automatically. Please press the button.";
    });
  }

  function tick() {
    if (done) {
      return;
    }
    if (document.visibilityState !== "visible") {
      window.setTimeout(tick, 500);
      return;
    }
    if (left <= 0) {
      save();
      return;
    }
    note.textContent = "Saving your score in " + left + (left === 1 ? " second" : " seconds") +
      ". Press the button to save it now.";
    left -= 1;
    window.setTimeout(tick, 1000);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    save();
  });
  tick();
})();
