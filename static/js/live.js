/* When the server refuses a page's live stream (too many open for this account: HTTP 429, or any
   refusal, which closes the EventSource for good), the page's live regions refresh every 20 seconds
   instead, as on a "resync", until a stream opens again (the sse extension keeps retrying, backing
   off to about a minute). */
(function () {
  "use strict";
  var POLL_MS = 20000;  /* unless the page says otherwise (LSWEB_LIVE_POLL_SECONDS) */
  var REGIONS = '[hx-trigger*="sse:resync"], [data-hx-trigger*="sse:resync"]';

  function stop(root) {
    if (root.dataset.livePolling) {
      window.clearInterval(Number(root.dataset.livePolling));
      delete root.dataset.livePolling;
      root.classList.remove("live-polling");
    }
  }

  document.addEventListener("htmx:sseError", function (event) {
    var root = event.target;
    var source = event.detail && event.detail.source;
    if (!source || source.readyState !== window.EventSource.CLOSED || root.dataset.livePolling) { return; }
    root.classList.add("live-polling");
    var every = Number(root.dataset.livePollSeconds) * 1000 || POLL_MS;
    root.dataset.livePolling = String(window.setInterval(function () {
      if (!document.body.contains(root)) { stop(root); return; }
      root.querySelectorAll(REGIONS).forEach(function (region) { window.htmx.trigger(region, "sse:resync"); });
    }, every));
  });

  document.addEventListener("htmx:sseOpen", function (event) { stop(event.target); });
})();
