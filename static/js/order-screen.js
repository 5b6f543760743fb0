// The merchant's order screen keeps itself up to date: every 30 s it asks the server for the number of
// orders to accept and the version of the list (one small JSON answer); when the version changed it fetches
// the page and swaps the list in place, keeping the focus, says what changed in the polite live region,
// shows the count in the tab title, and plays a short sound if the shop turned it on. Browsers allow sound
// only after a gesture: the "Activer le son" button is that gesture, and after a reload the remembered
// choice waits for the first click or key press. No sound file: two notes from the Web Audio oscillator.
(function () {
  "use strict";
  var region = document.getElementById("order-screen");
  if (!region || !window.fetch || !window.DOMParser) { return; }
  var status = document.getElementById("order-screen-status");
  var soundButton = document.getElementById("order-sound");
  var POLL_MS = 30000;
  var SOUND_KEY = "comptoir.order-screen.sound";
  var version = region.dataset.version;
  var toAccept = parseInt(region.dataset.toAccept, 10) || 0;
  var baseTitle = region.dataset.title;
  var audio = null;

  function soundWanted() {
    try { return window.localStorage.getItem(SOUND_KEY) === "on"; } catch (error) { return false; }
  }

  function rememberSound(isOn) {
    try { window.localStorage.setItem(SOUND_KEY, isOn ? "on" : "off"); } catch (error) { /* private mode */ }
    soundButton.setAttribute("aria-pressed", isOn ? "true" : "false");
  }

  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) { audio = new Context(); }
    if (audio && audio.state === "suspended") { audio.resume(); }
    return audio;
  }

  function chime() {
    var context = audioContext();
    if (!context) { return; }
    [[0, 880], [0.22, 1175]].forEach(function (note) {
      var oscillator = context.createOscillator();
      var gain = context.createGain();
      var start = context.currentTime + note[0];
      oscillator.type = "sine";
      oscillator.frequency.value = note[1];
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.4, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.2);
      oscillator.connect(gain);
      gain.connect(context.destination);
      oscillator.start(start);
      oscillator.stop(start + 0.22);
    });
  }

  function showCount(count) {
    document.title = count > 0 ? "(" + count + ") " + baseTitle : baseTitle;
  }

  function newOrdersText(count) {
    return count === 1 ? region.dataset.one : region.dataset.many.replace("__count__", String(count));
  }

  function refreshList() {
    // The region alone: a whole page would carry another response's CSP nonce on its inline style.
    return fetch(window.location.pathname + "?partie=liste", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("order screen: " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("order-screen");
        if (!fresh) { return; }
        var focused = document.activeElement;
        var focusedHref = focused && region.contains(focused) ? focused.getAttribute("href") : null;
        region.innerHTML = fresh.innerHTML;
        version = fresh.dataset.version;
        if (focusedHref) {
          var again = Array.prototype.find.call(region.querySelectorAll("a[href]"), function (link) {
            return link.getAttribute("href") === focusedHref;
          });
          if (again) { again.focus({ preventScroll: true }); }
        }
      });
  }

  function poll() {
    fetch(region.dataset.stateUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state || state.version === version) { return null; }
        var added = state.to_accept - toAccept;
        toAccept = state.to_accept;
        version = state.version;
        showCount(toAccept);
        return refreshList().then(function () {
          status.textContent = added > 0 ? newOrdersText(added) : region.dataset.updated;
          if (added > 0 && soundWanted()) { chime(); }
        });
      })
      .catch(function () { /* offline or signed out: the next poll tries again */ })
      .then(function () { window.setTimeout(poll, POLL_MS); });
  }

  if (soundButton) {
    soundButton.hidden = false;
    soundButton.setAttribute("aria-pressed", soundWanted() ? "true" : "false");
    soundButton.addEventListener("click", function () {
      var isOn = !soundWanted();
      rememberSound(isOn);
      if (isOn) { chime(); }  // the gesture that unlocks audio, and a sample of the sound
    });
  }
  ["click", "keydown"].forEach(function (kind) {
    document.addEventListener(kind, function () { if (soundWanted()) { audioContext(); } }, { once: true });
  });
  showCount(toAccept);
  window.setTimeout(poll, POLL_MS);
}());
