// Small progressive enhancements; every page works without them.
(function () {
  // Move the keyboard focus to a message the page opened with (an error summary, a new token).
  var message = document.querySelector("[data-focus]");
  if (message) { message.focus(); }
  // Ask before an action that cannot be undone.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
})();
