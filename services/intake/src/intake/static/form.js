/* Progressive enhancement for the intake's forms. Without this file the
   forms post normally and the server answers with pages; with it, a form
   posts with fetch, shows errors next to the fields without a reload, and
   thanks the person in place. No framework, no build step. */
(function () {
  "use strict";

  // One key per filling of a form: a double click or a retry of the same
  // filling is published once; a new filling (after a success) gets a new key.
  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16),
      hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function capital(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function retryAfterSeconds(response) {
    var value = parseInt(response.headers.get("Retry-After") || "", 10);
    return isNaN(value) || value < 1 ? 5 : Math.min(value, 600);
  }

  function enhance(form) {
    var kind = form.getAttribute("data-intake-form");
    var summary = document.getElementById(kind + "-errors");
    var status = document.getElementById(kind + "-status");
    var thanks = document.getElementById(kind + "-thanks");
    var button = form.querySelector("button[type=submit]");
    var state = { key: newKey(), busy: false, waitUntil: 0, timer: null };

    // The server checks every field and says what is wrong in words; the
    // browser's own bubbles would only come first and say it less clearly.
    form.noValidate = true;

    function fieldBox(name) {
      return form.querySelector('.field[data-field="' + name + '"]');
    }

    function controlsOf(box) {
      return box.querySelectorAll("input, select, textarea, fieldset");
    }

    function describe(control, errorId, on) {
      var ids = (control.getAttribute("aria-describedby") || "").split(/\s+/)
        .filter(function (id) { return id && id !== errorId; });
      if (on) { ids.push(errorId); }
      if (ids.length) {
        control.setAttribute("aria-describedby", ids.join(" "));
      } else {
        control.removeAttribute("aria-describedby");
      }
    }

    function clearErrors() {
      var boxes = form.querySelectorAll(".field");
      Array.prototype.forEach.call(boxes, function (box) {
        var error = box.querySelector(".field-error");
        box.classList.remove("has-error");
        if (error) {
          error.hidden = true;
          error.querySelector(".field-error-text").textContent = "";
        }
        Array.prototype.forEach.call(controlsOf(box), function (control) {
          control.removeAttribute("aria-invalid");
          if (error && control.type !== "radio") { describe(control, error.id, false); }
        });
      });
      summary.hidden = true;
      summary.querySelector("ul").textContent = "";
      summary.removeAttribute("autofocus");
    }

    function addSummaryItem(text, target, spoken) {
      var item = document.createElement("li");
      var holder = item;
      if (target) {
        var link = document.createElement("a");
        link.href = "#" + target.id;
        link.addEventListener("click", function (event) {
          event.preventDefault();
          var focusable = target.tagName === "FIELDSET" ? target.querySelector("input") : target;
          focusable.focus();
        });
        item.appendChild(link);
        holder = link;
      }
      if (spoken) {
        var strong = document.createElement("strong");
        strong.textContent = spoken;
        holder.appendChild(strong);
        holder.appendChild(document.createTextNode(" "));
      }
      holder.appendChild(document.createTextNode(text));
      summary.querySelector("ul").appendChild(item);
    }

    function showErrors(errors) {
      clearErrors();
      errors.forEach(function (error) {
        var box = error.field ? fieldBox(error.field) : null;
        if (!box) {
          addSummaryItem(error.message, null, error.field || "");
          return;
        }
        var spoken = box.getAttribute("data-spoken") || error.field;
        var message = box.querySelector(".field-error");
        var text = message.querySelector(".field-error-text");
        text.textContent = (text.textContent ? text.textContent + " " : "") +
          capital(spoken) + " " + error.message;
        message.hidden = false;
        box.classList.add("has-error");
        Array.prototype.forEach.call(controlsOf(box), function (control) {
          control.setAttribute("aria-invalid", "true");
          if (control.type !== "radio") { describe(control, message.id, true); }
        });
        var target = box.querySelector("fieldset, input, select, textarea");
        addSummaryItem(error.message, target, spoken);
      });
      summary.hidden = false;
      summary.focus();
    }

    function say(text) {
      status.textContent = text;
    }

    function setBusy(busy) {
      state.busy = busy;
      button.disabled = busy;
      form.setAttribute("aria-busy", busy ? "true" : "false");
    }

    function waitThenAllow(seconds, prefix) {
      state.waitUntil = Date.now() + seconds * 1000;
      button.disabled = true;
      if (state.timer) { clearInterval(state.timer); }
      function tick() {
        var left = Math.ceil((state.waitUntil - Date.now()) / 1000);
        if (left <= 0) {
          clearInterval(state.timer);
          state.timer = null;
          button.disabled = false;
          say(prefix + " You can send it again now; what you wrote is kept.");
          return;
        }
        // Only the first and the last announcement matter; keep the text
        // stable in between so screen readers are not flooded.
        if (left === seconds) {
          say(prefix + " Please try again in " + seconds + " seconds; what you wrote is kept.");
        }
      }
      tick();
      state.timer = setInterval(tick, 1000);
    }

    function showThanks() {
      clearErrors();
      say("");
      form.hidden = true;
      thanks.hidden = false;
      thanks.focus();
    }

    thanks.querySelector("[data-action=again]").addEventListener("click", function () {
      form.reset();
      state.key = newKey();
      thanks.hidden = true;
      form.hidden = false;
      var first = form.querySelector("input:not([tabindex='-1']), select, textarea");
      if (first) { first.focus(); }
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (state.busy || Date.now() < state.waitUntil) { return; }
      setBusy(true);
      say("Sending…");
      var body = new URLSearchParams(new FormData(form));
      fetch(form.action, {
        method: "POST",
        headers: {
          "Accept": "application/json",
          "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
          "Idempotency-Key": state.key
        },
        body: body.toString(),
        credentials: "omit"
      }).then(function (response) {
        setBusy(false);
        if (response.status === 202) {
          state.key = newKey();
          showThanks();
          return null;
        }
        if (response.status === 503 || response.status === 429) {
          say("");
          var prefix = response.status === 429
            ? "Too many messages were sent from this device just now."
            : "We could not receive your message just now.";
          waitThenAllow(retryAfterSeconds(response), prefix);
          return null;
        }
        return response.json().catch(function () { return null; }).then(function (answer) {
          say("");
          var errors = answer && Array.isArray(answer.errors) ? answer.errors : [];
          if (!errors.length) {
            errors = [{ field: null, message: "Something went wrong; please try again." }];
          }
          showErrors(errors);
        });
      }).catch(function () {
        setBusy(false);
        say("We could not reach our server. Please check your connection and try again; " +
          "what you wrote is kept.");
      });
    });

    // A page the server rendered with errors (JavaScript on, but the post
    // went through without it): move the focus to the error summary.
    if (!summary.hidden) { summary.focus(); }
  }

  function start() {
    var forms = document.querySelectorAll("form[data-intake-form]");
    Array.prototype.forEach.call(forms, enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
