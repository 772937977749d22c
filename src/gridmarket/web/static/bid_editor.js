// The bid editor: draw the curve as it is typed, and show the server's check of the bid
// beside each field. The form works without this script ("Check" asks the same server).
(function () {
  "use strict";
  var form = document.getElementById("bid-editor");
  if (!form) { return; }
  var SVG = "http://www.w3.org/2000/svg";
  var WIDTH = 520, HEIGHT = 260, LEFT = 64, RIGHT = WIDTH - 16, TOP = 16, BOTTOM = HEIGHT - 44;

  function fieldId(key) { return "f-" + key.replace(/\[/g, "-").replace(/\]/g, ""); }

  function number(text) {
    var value = Number(String(text).replace(/[,$\s]/g, ""));
    return text.trim() === "" || !isFinite(value) ? null : value;
  }

  // Rows 1..n as [MW, price] pairs, stopping at the first row that is not two numbers.
  function steps() {
    var out = [], start = 0;
    for (var i = 1; ; i++) {
      var mw = form.elements["segments[" + i + "].mw"];
      var price = form.elements["segments[" + i + "].price"];
      if (!mw || !price) { break; }
      var end = number(mw.value), value = number(price.value);
      if (end === null || value === null) { break; }
      out.push([start, end, value]);
      start = end;
    }
    return out;
  }

  function niceStep(span) {
    if (span <= 0) { return 1; }
    var raw = span / 5, power = Math.pow(10, Math.floor(Math.log10(raw)));
    var multiples = [1, 2, 5, 10];
    for (var k = 0; k < multiples.length; k++) {
      if (raw <= multiples[k] * power) { return multiples[k] * power; }
    }
    return 10 * power;
  }

  function ticks(low, high) {
    var step = niceStep(high - low), out = [];
    for (var n = Math.floor(low / step + 1e-9); n <= Math.ceil(high / step - 1e-9); n++) {
      out.push(Math.round(n * step * 1e6) / 1e6);
    }
    return out;
  }

  function node(name, attributes, text) {
    var element = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (key) { element.setAttribute(key, attributes[key]); });
    if (text !== undefined) { element.textContent = text; }
    return element;
  }

  function draw() {
    var figure = document.getElementById("curve-preview");
    var curve = steps();
    figure.textContent = "";
    if (!curve.length) {
      var hint = document.createElement("p");
      hint.className = "hint";
      hint.textContent = "The curve is drawn here as you fill the steps.";
      figure.appendChild(hint);
      return;
    }
    var mwTicks = ticks(Math.min(0, curve[0][0]), Math.max.apply(null, curve.map(function (s) { return s[1]; })) || 1);
    var prices = curve.map(function (s) { return s[2]; });
    var low = Math.min(0, Math.min.apply(null, prices)), high = Math.max.apply(null, prices);
    var priceTicks = ticks(low, high > low ? high : low + 1);
    var x0 = mwTicks[0], x1 = mwTicks[mwTicks.length - 1], y0 = priceTicks[0], y1 = priceTicks[priceTicks.length - 1];
    function x(mw) { return LEFT + (mw - x0) / ((x1 - x0) || 1) * (RIGHT - LEFT); }
    function y(price) { return BOTTOM - (price - y0) / ((y1 - y0) || 1) * (BOTTOM - TOP); }
    var svg = node("svg", {viewBox: "0 0 " + WIDTH + " " + HEIGHT, width: WIDTH, height: HEIGHT,
                           role: "img", "aria-labelledby": "curve-title curve-desc", "class": "svg-chart"});
    svg.appendChild(node("title", {id: "curve-title"}, "The curve as entered"));
    svg.appendChild(node("desc", {id: "curve-desc"}, curve.map(function (s, i) {
      return "step " + (i + 1) + ": " + s[0] + " to " + s[1] + " MW at $" + s[2] + "/MWh";
    }).join("; ")));
    priceTicks.forEach(function (t) {
      svg.appendChild(node("line", {x1: LEFT, x2: RIGHT, y1: y(t), y2: y(t), "class": "grid-line"}));
      svg.appendChild(node("text", {x: LEFT - 8, y: y(t) + 4, "text-anchor": "end", "class": "tick"}, String(t)));
    });
    mwTicks.forEach(function (t) {
      svg.appendChild(node("text", {x: x(t), y: BOTTOM + 20, "text-anchor": "middle", "class": "tick"}, String(t)));
    });
    svg.appendChild(node("line", {x1: LEFT, x2: RIGHT, y1: BOTTOM, y2: BOTTOM, "class": "axis"}));
    svg.appendChild(node("line", {x1: LEFT, x2: LEFT, y1: TOP, y2: BOTTOM, "class": "axis"}));
    svg.appendChild(node("text", {x: (LEFT + RIGHT) / 2, y: HEIGHT - 6, "text-anchor": "middle", "class": "axis-label"}, "Output (MW)"));
    var middle = (TOP + BOTTOM) / 2;
    svg.appendChild(node("text", {x: 14, y: middle, "text-anchor": "middle", "class": "axis-label",
                                  transform: "rotate(-90 14 " + middle + ")"}, "$/MWh"));
    var path = curve.map(function (s, i) {
      return (i === 0 ? "M" : "L") + x(s[0]) + "," + y(s[2]) + " L" + x(s[1]) + "," + y(s[2]);
    }).join(" ");
    svg.appendChild(node("path", {d: path, "class": "curve"}));
    figure.appendChild(svg);
  }

  // Show (or clear) the message of one field, as the server would have rendered it.
  function showError(input, message) {
    var id = input.id + "-error";
    var paragraph = document.getElementById(id);
    var box = input.closest("[data-field], .field");
    if (!paragraph) {
      if (!message) { return; }
      paragraph = document.createElement("p");
      paragraph.className = "field-error";
      paragraph.id = id;
      paragraph.innerHTML = '<span class="visually-hidden">Error: </span><span data-message></span>';
      input.parentNode.insertBefore(paragraph, input);
    }
    paragraph.querySelector("[data-message]").textContent = message || "";
    paragraph.hidden = !message;
    if (box) { box.classList.toggle("field--error", Boolean(message)); }
    if (message) {
      input.setAttribute("aria-invalid", "true");
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (described.indexOf(id) < 0) { described.push(id); }
      input.setAttribute("aria-describedby", described.join(" "));
    } else {
      input.removeAttribute("aria-invalid");
    }
  }

  function showCheck(answer) {
    var errors = answer.errors || {};
    Array.prototype.forEach.call(form.elements, function (input) {
      if (input.name && input.id && input.type !== "hidden" && input.type !== "submit") {
        showError(input, errors[input.name]);
      }
    });
    var curve = document.getElementById("f-segments-error");
    curve.querySelector("[data-message]").textContent = errors.segments || "";
    curve.hidden = !errors.segments;
    var result = document.getElementById("check-result");
    result.textContent = "";
    if (!answer.checked) { result.hidden = true; return; }
    var heading = document.createElement("h2");
    var status = document.createElement("span");
    status.className = "status status--" + answer.checked.status.toLowerCase();
    status.textContent = answer.checked.status.replace(/_/g, " ").toLowerCase();
    heading.appendChild(document.createTextNode("This bid would be "));
    heading.appendChild(status);
    result.appendChild(heading);
    var seen = {}, list = document.createElement("ul");
    answer.checked.reasons.forEach(function (reason) {
      if (seen[reason.message]) { return; }
      seen[reason.message] = true;
      var item = document.createElement("li"), code = document.createElement("code");
      code.textContent = reason.code;
      item.appendChild(code);
      item.appendChild(document.createTextNode(" " + reason.message));
      list.appendChild(item);
    });
    if (list.children.length) { result.appendChild(list); }
    result.hidden = false;
  }

  var pending = null;
  function check() {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      fetch(form.dataset.checkUrl, {method: "POST", body: new FormData(form), credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) { if (answer) { showCheck(answer); } })
        .catch(function () { /* The buttons still check and submit without this. */ });
    }, 400);
  }

  form.addEventListener("input", draw);
  form.addEventListener("change", check);
  draw();
})();
