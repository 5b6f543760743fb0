/* The courier's actions waiting to be sent, kept in IndexedDB (they survive a closed tab or a
   restarted phone). Each action carries the key chosen here (a UUID): the server applies a key
   once, so sending the same action twice is harmless. */
"use strict";
(function () {
  const DATABASE = "comptoir-courier";
  const STORE = "actions";

  function open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DATABASE, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function run(mode, work) {
    const database = await open();
    return new Promise((resolve, reject) => {
      const transaction = database.transaction(STORE, mode);
      const result = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => {
        database.close();
        resolve(result && "result" in result ? result.result : undefined);
      };
      transaction.onerror = () => {
        database.close();
        reject(transaction.error);
      };
    });
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  window.CourierQueue = {
    newKey,
    add: (action) => run("readwrite", (store) => store.put(action)),
    remove: (key) => run("readwrite", (store) => store.delete(key)),
    async all(courier) {
      const actions = (await run("readonly", (store) => store.getAll())) || [];
      return actions.filter((action) => action.courier === courier).sort((a, b) => a.createdAt - b.createdAt);
    },
  };
})();
