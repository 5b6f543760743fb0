/* The courier app's page: actions queued on the phone and sent when the network allows, the QR
   scanner (BarcodeDetector, where the browser has it), the signature pad, the proof chooser, and the
   service worker that keeps the round for use without network. Texts come from the page (French,
   through Django's translations). */
"use strict";
(function () {
  const app = document.querySelector(".courier-app");
  if (!app || !window.CourierQueue) {
    return;
  }
  const queue = window.CourierQueue;
  const texts = JSON.parse(app.dataset.texts);
  const courier = app.dataset.courier;
  const announcer = app.querySelector("[data-announce]");
  const networkNotice = app.querySelector("[data-network]");
  const pendingNotice = app.querySelector("[data-pending]");
  let csrfToken = (app.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  let syncing = false;
  let pendingCount = 0;

  function announce(message) {
    announcer.textContent = "";
    window.setTimeout(() => { announcer.textContent = message; }, 50);
  }

  function stopElement(stopId) {
    return app.querySelector(`[data-stop="${stopId}"]`);
  }

  function setStopState(stopId, status, label) {
    const element = stopElement(stopId);
    if (!element) {
      return;
    }
    element.dataset.status = status;
    element.querySelector("[data-state]").textContent = label;
    const actions = element.querySelector("[data-actions]");
    if (actions) {
      actions.hidden = status !== "todo";
    }
  }

  function showError(stopId, path, message) {
    const element = stopElement(stopId);
    setStopState(stopId, "todo", texts.todo);
    if (!element) {
      announce(message);
      return;
    }
    const form = element.querySelector(`form[action="${path}"]`) || element;
    const error = form.querySelector("[data-error]");
    if (error) {
      error.textContent = message;
      error.hidden = false;
    }
    announce(message);
  }

  async function showPending() {
    const actions = await queue.all(courier);
    pendingCount = actions.length;
    actions.forEach((action) => setStopState(action.stop, "pending", texts.pending));
    pendingNotice.hidden = actions.length === 0;
    pendingNotice.textContent = actions.length ? texts.waiting.replace("%(count)s", actions.length) : "";
    networkNotice.hidden = navigator.onLine;
  }

  async function refreshToken() {
    const response = await fetch(app.dataset.roundJson, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.ok && !response.redirected) {
      csrfToken = (await response.json()).csrf_token;
      return true;
    }
    return false;
  }

  function bodyOf(action) {
    const body = new FormData();
    action.fields.forEach(([name, value, filename]) => {
      if (filename !== undefined) {
        body.append(name, value, filename);
      } else {
        body.append(name, value);
      }
    });
    body.set("key", action.key);
    return body;
  }

  function post(action) {
    return fetch(action.url, {
      method: "POST",
      body: bodyOf(action),
      credentials: "same-origin",
      redirect: "manual",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken },
    });
  }

  // Sends the queued actions in the order they were taken; stops at the first network failure.
  async function sync() {
    if (syncing) {
      return;
    }
    syncing = true;
    let sent = 0;
    try {
      for (const action of await queue.all(courier)) {
        let response;
        try {
          response = await post(action);
          if (response.status === 403 && (await refreshToken())) {
            response = await post(action);
          }
        } catch (error) {
          break; // no network: the action stays queued
        }
        if (response.type === "opaqueredirect" || response.status === 403) {
          announce(texts.login);
          break;
        }
        if (response.status >= 500) {
          break;
        }
        await queue.remove(action.key);
        if (response.ok) {
          const answer = await response.json();
          const failed = answer.outcome === "failed";
          setStopState(action.stop, failed ? "failed" : "done", failed ? texts.failed : texts.done);
          announce(answer.message);
          sent += 1;
        } else if (response.status === 413) {
          showError(action.stop, action.path, texts.tooLarge);
        } else if (response.status === 404) {
          showError(action.stop, action.path, texts.notFound);
        } else {
          let message = texts.refused;
          try {
            message = (await response.json()).error || message;
          } catch (error) {
            // not JSON: the generic message
          }
          showError(action.stop, action.path, message);
        }
      }
    } finally {
      syncing = false;
      await showPending();
    }
    if (sent && navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage("refresh");
    }
  }

  // A photo is made lighter on the phone (1,600 px, JPEG) before it is kept and sent; the server
  // checks it anyway. What cannot be read as a picture is sent as it is, for the server to refuse.
  async function lighter(file) {
    if (!window.createImageBitmap || !file || !file.size) {
      return file;
    }
    try {
      const bitmap = await createImageBitmap(file);
      const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
      return blob || file;
    } catch (error) {
      return file;
    }
  }

  async function fieldsOf(form) {
    const fields = [];
    for (const [name, value] of new FormData(form).entries()) {
      if (name === "csrfmiddlewaretoken") {
        continue;
      }
      if (value instanceof File) {
        if (value.size) {
          const blob = await lighter(value);
          fields.push([name, blob, blob === value ? value.name : "photo.jpg"]);
        }
      } else {
        fields.push([name, value]);
      }
    }
    return fields;
  }

  function chosenProof(form) {
    const choice = form.querySelector("[data-proof-choice]:checked") || form.querySelector("input[name=proof_kind]");
    return choice ? choice.value : "";
  }

  function problemOf(form) {
    if (!form.reportValidity()) {
      return " ";
    }
    const proof = chosenProof(form);
    if (proof === "signature" && !form.querySelector("input[name=signature]").value) {
      return texts.noSignature;
    }
    if (proof === "photo" && !(form.querySelector("input[name=photo]").files || []).length) {
      return texts.noPhoto;
    }
    if (proof === "code" && !form.querySelector("input[name=code]").value.trim()) {
      return texts.noCode;
    }
    return "";
  }

  app.querySelectorAll("form[data-courier-action]").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const stop = form.closest("[data-stop]").dataset.stop;
      const error = form.querySelector("[data-error]");
      const problem = problemOf(form);
      if (problem) {
        if (problem.trim() && error) {
          error.textContent = problem;
          error.hidden = false;
        }
        return;
      }
      if (error) {
        error.hidden = true;
      }
      const action = {
        key: queue.newKey(),
        courier,
        stop,
        url: form.action,
        path: form.getAttribute("action"),
        createdAt: Date.now(),
        fields: await fieldsOf(form),
      };
      await queue.add(action);
      setStopState(stop, "pending", texts.pending);
      announce(navigator.onLine ? texts.sending : texts.savedOffline);
      await sync();
    });
  });

  // Proof chooser: only the chosen proof's field is shown.
  app.querySelectorAll("form[data-courier-action]").forEach((form) => {
    const choices = form.querySelectorAll("[data-proof-choice]");
    if (!choices.length) {
      return;
    }
    const show = () => {
      const chosen = chosenProof(form);
      form.querySelectorAll("[data-proof]").forEach((section) => { section.hidden = section.dataset.proof !== chosen; });
    };
    choices.forEach((choice) => choice.addEventListener("change", show));
    show();
  });

  // Signature pad: SVG path data (moves and lines) in the canvas's own coordinates.
  app.querySelectorAll("[data-signature-pad]").forEach((canvas) => {
    const field = canvas.parentElement.querySelector("input[name=signature]");
    const context = canvas.getContext("2d");
    context.lineWidth = 3;
    context.lineCap = "round";
    context.strokeStyle = "#000";
    let drawing = false;
    let last = [0, 0];
    const point = (event) => {
      const box = canvas.getBoundingClientRect();
      return [
        Math.round(((event.clientX - box.left) * canvas.width) / box.width),
        Math.round(((event.clientY - box.top) * canvas.height) / box.height),
      ];
    };
    canvas.addEventListener("pointerdown", (event) => {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      const [x, y] = point(event);
      last = [x, y];
      context.beginPath();
      context.moveTo(x, y);
      field.value += `${field.value ? " " : ""}M${x} ${y}`;
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!drawing) {
        return;
      }
      const [x, y] = point(event);
      if (Math.abs(x - last[0]) + Math.abs(y - last[1]) < 3) {
        return; // a point every few pixels is enough, and keeps the proof small
      }
      last = [x, y];
      context.lineTo(x, y);
      context.stroke();
      field.value += ` L${x} ${y}`;
    });
    const end = () => { drawing = false; };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.parentElement.querySelector("[data-signature-clear]").addEventListener("click", () => {
      context.clearRect(0, 0, canvas.width, canvas.height);
      field.value = "";
    });
  });

  // QR scanner: where the browser has BarcodeDetector; typing the code is always possible.
  if ("BarcodeDetector" in window && navigator.mediaDevices) {
    app.querySelectorAll("[data-scan]").forEach((button) => {
      const form = button.closest("form");
      const scanner = form.querySelector("[data-scanner]");
      const video = scanner.querySelector("video");
      let stream = null;
      const stop = () => {
        if (stream) {
          stream.getTracks().forEach((track) => track.stop());
        }
        stream = null;
        scanner.hidden = true;
        button.focus();
      };
      button.hidden = false;
      scanner.querySelector("[data-scan-stop]").addEventListener("click", stop);
      button.addEventListener("click", async () => {
        try {
          stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
        } catch (error) {
          announce(texts.noCamera);
          return;
        }
        scanner.hidden = false;
        video.srcObject = stream;
        await video.play();
        const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        const look = async () => {
          if (!stream) {
            return;
          }
          try {
            const [code] = await detector.detect(video);
            if (code) {
              form.querySelector("input[name=code]").value = code.rawValue;
              stop();
              form.requestSubmit();
              return;
            }
          } catch (error) {
            // a frame that could not be read: try the next one
          }
          window.setTimeout(look, 250);
        };
        look();
      });
    });
  }

  // Signing out forgets the round kept on the phone (addresses of residents).
  document.querySelectorAll("form[action$='/logout/']").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (pendingCount && !window.confirm(texts.logoutWithPending)) {
        event.preventDefault();
        return;
      }
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage("forget");
      }
    });
  });

  window.addEventListener("online", () => { networkNotice.hidden = true; sync(); });
  window.addEventListener("offline", () => { networkNotice.hidden = false; });
  window.setInterval(sync, 30000);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(app.dataset.serviceWorker).catch(() => {});
  }
  showPending().then(sync);
})();
