// Counts down to each deadline in cells marked data-deadline (ISO 8601 instants).
(function () {
  function render() {
    document.querySelectorAll("[data-deadline]").forEach(function (cell) {
      var left = Math.floor((Date.parse(cell.dataset.deadline) - Date.now()) / 1000);
      if (left <= 0) { cell.textContent = "closed"; return; }
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600);
      var m = Math.floor(left % 3600 / 60), s = left % 60;
      cell.textContent = (d ? d + "d " : "") + h + "h " + m + "m " + s + "s";
    });
  }
  render();
  setInterval(render, 1000);
})();
