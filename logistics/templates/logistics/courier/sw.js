/* The courier app's service worker (served at /livreur/sw.js, scope /livreur/).
   Keeps the app's files and today's round (page and JSON) for use without network: the round is
   fetched from the network first and the copy kept; without network the copy answers. Actions are
   not handled here: the page queues them (queue.js) and sends them when the network returns. */
"use strict";
const CONFIG = {{ config|safe }};

async function keepPages(cache) {
  await Promise.all(CONFIG.pages.map(async (path) => {
    try {
      const response = await fetch(path, { credentials: "same-origin", cache: "no-store" });
      if (response.ok && !response.redirected) {
        await cache.put(path, response);
      } else if (response.redirected) {
        await cache.delete(path); // signed out: the round is no longer this phone's to keep
      }
    } catch (error) {
      // offline: the copy already kept stays
    }
  }));
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CONFIG.cacheName);
    await cache.addAll(CONFIG.files);
    await keepPages(cache);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("courier-") && name !== CONFIG.cacheName).map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data === "refresh") {
    event.waitUntil(caches.open(CONFIG.cacheName).then(keepPages));
  } else if (event.data === "forget") {
    event.waitUntil(caches.delete(CONFIG.cacheName));
  }
});

async function networkFirst(request, path) {
  const cache = await caches.open(CONFIG.cacheName);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected && response.type === "basic") {
      await cache.put(path, response.clone());
    } else if (response.type === "opaqueredirect" || response.redirected) {
      await cache.delete(path);
    }
    return response;
  } catch (error) {
    const kept = await cache.match(path);
    if (kept) {
      return kept;
    }
    throw error;
  }
}

async function cacheFirst(request) {
  const kept = await caches.match(request, { ignoreSearch: true });
  return kept || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (CONFIG.pages.includes(url.pathname)) {
    event.respondWith(networkFirst(request, url.pathname));
  } else if (CONFIG.files.includes(url.pathname)) {
    event.respondWith(cacheFirst(request));
  }
});
