// Photo shoot (« Séance photo »): each photo taken or chosen joins a queue kept in this page and is
// sent alone, with a key made here (a UUID) in the Idempotency-Key header. A network failure or a
// server error (5xx, 429) puts it back in the queue and it is tried again later (1, 2, 4 … 30 s,
// and at once when the phone is back online); the server answers a key it already stored with the
// same draft, so a retry never makes a second product. A refusal (not a photo, too large) is final.
// Without this script the form posts every photo at once and works the same.
(function () {
  "use strict";
  var form = document.getElementById("photo-shoot-form");
  var queueSection = document.querySelector("[data-queue]");
  var draftList = document.querySelector("[data-draft-list]");

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function updateDraftCount() {
    var count = document.querySelector("[data-draft-count]");
    if (!count || !draftList) { return; }
    count.textContent = "(" + draftList.querySelectorAll(".draft-item .draft-form").length + ")";
    var empty = document.querySelector("[data-draft-empty]");
    if (empty && draftList.children.length) { empty.hidden = true; }
  }

  // --- completing a draft without leaving the page (the queue would be lost) ---------------------
  document.addEventListener("submit", function (event) {
    var draftForm = event.target;
    if (!draftForm.matches || !draftForm.matches("form[data-draft-form]")) { return; }
    event.preventDefault();
    var item = draftForm.closest("li");
    fetch(draftForm.action, {
      method: "POST",
      body: new FormData(draftForm),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      if (response.redirected || (response.status !== 200 && response.status !== 400)) { throw new Error("http " + response.status); }
      return response.text().then(function (html) {
        var holder = document.createElement("ul");
        holder.innerHTML = html.trim();
        var replacement = holder.firstElementChild;
        item.replaceWith(replacement);
        updateDraftCount();
        var focusTarget = replacement.querySelector(response.status === 400 ? ".error-summary a, input" : ".row-title a");
        if (focusTarget) { focusTarget.focus(); }
      });
    }).catch(function () { draftForm.submit(); });  // offline or session lost: the plain form says why
  });

  if (!form || !queueSection || !window.fetch || !window.FormData) { return; }

  var uploadUrl = form.dataset.uploadUrl;
  var maxBytes = parseInt(form.dataset.maxBytes, 10);
  var summary = queueSection.querySelector("[data-queue-summary]");
  var list = queueSection.querySelector("[data-queue-list]");
  var labels = queueSection.dataset;
  var queue = [];
  var sending = false;
  var timer = null;

  form.querySelectorAll("[data-no-js-submit], [data-no-js-help]").forEach(function (element) { element.hidden = true; });
  queueSection.hidden = false;

  function plural(count, one, other) { return (count === 1 ? one : other).replace("%s", count); }

  function render() {
    var counts = { waiting: 0, sending: 0, sent: 0, failed: 0 };
    queue.forEach(function (entry) {
      counts[entry.state] += 1;
      entry.status.textContent = entry.message || labels[entry.state];
      entry.row.className = "queue-item queue-" + entry.state;
    });
    var parts = [
      plural(counts.waiting, labels.summaryWaiting, labels.summaryWaiting),
      plural(counts.sending, labels.summarySending, labels.summarySending),
      plural(counts.sent, labels.summarySentOne, labels.summarySentOther)
    ];
    if (counts.failed) { parts.push(plural(counts.failed, labels.summaryFailedOne, labels.summaryFailedOther)); }
    summary.textContent = parts.join(", ");
    queueSection.dataset.pending = String(counts.waiting + counts.sending);
  }

  function add(file) {
    var row = document.createElement("li");
    var name = document.createElement("span");
    name.className = "queue-name";
    name.textContent = file.name || labels.unnamed;
    var status = document.createElement("span");
    status.className = "queue-status";
    row.append(name, " — ", status);
    list.prepend(row);
    var entry = { key: newKey(), file: file, state: "waiting", attempts: 0, retryAt: 0, message: "", row: row, status: status };
    if (file.size > maxBytes) { entry.state = "failed"; entry.message = form.dataset.tooLarge; }
    else if (file.type && file.type.indexOf("image/") !== 0) { entry.state = "failed"; entry.message = form.dataset.notImage; }
    queue.push(entry);
  }

  function schedule(delay) {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(function () { timer = null; pump(); }, delay);
  }

  function retryLater(entry) {
    entry.attempts += 1;
    var seconds = Math.min(30, Math.pow(2, entry.attempts - 1));
    entry.state = "waiting";
    entry.retryAt = Date.now() + seconds * 1000;
    entry.message = labels.retry.replace("%s", seconds);
  }

  function finish(entry, payload) {
    entry.state = "sent";
    entry.message = "";
    entry.file = null;  // the photo is on the server: let the browser free it
    if (draftList && payload.html && !document.getElementById("brouillon-" + payload.product_id)) {
      draftList.insertAdjacentHTML("afterbegin", payload.html);
      updateDraftCount();
    }
  }

  function send(entry) {
    var body = new FormData();
    body.append("photo", entry.file, entry.file.name || "photo.jpg");
    body.append("key", entry.key);
    entry.state = "sending";
    entry.message = "";
    render();
    return fetch(uploadUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Idempotency-Key": entry.key, "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch", "Accept": "application/json" }
    }).then(function (response) {
      if (response.status === 200 || response.status === 201) {
        return response.json().then(function (payload) { finish(entry, payload); });
      }
      if (response.status >= 500 || response.status === 429) { retryLater(entry); return null; }
      if (response.status === 400) {
        return response.json().then(function (payload) { entry.state = "failed"; entry.message = payload.error; });
      }
      entry.state = "failed";
      entry.message = response.status === 413 ? form.dataset.tooLarge : labels.refused.replace("%s", response.status);
      return null;
    }, function () { retryLater(entry); });  // no network: the same photo, the same key, later
  }

  function pump() {
    if (sending) { return; }
    var now = Date.now();
    var ready = queue.filter(function (entry) { return entry.state === "waiting" && entry.retryAt <= now; })[0];
    if (!ready) {
      var later = queue.filter(function (entry) { return entry.state === "waiting"; });
      if (later.length) { schedule(Math.max(50, Math.min.apply(null, later.map(function (entry) { return entry.retryAt; })) - now)); }
      render();
      return;
    }
    sending = true;
    send(ready).then(function () { sending = false; render(); pump(); });
  }

  form.querySelectorAll("input[type=file]").forEach(function (input) {
    input.addEventListener("change", function () {
      Array.prototype.forEach.call(input.files, add);
      input.value = "";  // the same input takes the next photo
      render();
      pump();
    });
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });

  window.addEventListener("online", function () {
    queue.forEach(function (entry) { if (entry.state === "waiting") { entry.retryAt = 0; } });
    pump();
  });
  window.addEventListener("beforeunload", function (event) {
    if (queueSection.dataset.pending !== "0" && queueSection.dataset.pending) { event.preventDefault(); event.returnValue = ""; }
  });
  render();
})();
