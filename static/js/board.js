/* The discussion board: a few lines htmx cannot say declaratively (no inline scripts: CSP).
   - A send that fails (network down, server away) says so in the form; the text stays and the same
     form (same token) can be sent again without making two posts.
   - New posts that arrive out of sight count into a "n new posts" button that scrolls to them. */
(function () {
  "use strict";
  var unseen = [];

  function status(form, text) {
    var box = form && form.querySelector(".send-status");
    if (box) { box.textContent = text; }
  }
  function inView(el) {
    var r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight;
  }
  function update() {
    unseen = unseen.filter(function (el) { return document.body.contains(el) && !inView(el); });
    var button = document.getElementById("board-news");
    if (!button) { return; }
    button.hidden = unseen.length === 0;
    button.textContent = unseen.length === 1 ? "1 new post" : unseen.length + " new posts";
  }

  document.addEventListener("htmx:beforeRequest", function (e) {
    if (e.target.classList && e.target.classList.contains("post-form")) { status(e.target, ""); }
  });
  function failed(e) {
    if (e.target.classList && e.target.classList.contains("post-form")) {
      status(e.target, "Not sent: the connection failed. Your text is still here; send it again.");
    }
  }
  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("htmx:timeout", failed);
  document.addEventListener("htmx:responseError", function (e) {
    if (e.target.classList && e.target.classList.contains("post-form") && e.detail.xhr.status >= 500) {
      status(e.target, "Not sent: the server had a problem. Your text is still here; send it again.");
    }
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    window.setTimeout(function () {
      document.querySelectorAll(".post.is-fresh:not([data-counted])").forEach(function (el) {
        el.setAttribute("data-counted", "");
        if (!inView(el)) { unseen.push(el); }
      });
      update();
    }, 0);
  });
  document.addEventListener("click", function (e) {
    if (e.target.id !== "board-news" || unseen.length === 0) { return; }
    var first = unseen[0];
    first.setAttribute("tabindex", "-1");
    first.scrollIntoView({block: "center"});
    first.focus({preventScroll: true});
    window.setTimeout(update, 50);
  });
  // Back online, or a laptop waking up: ask for what changed meanwhile (the stream's own resync on
  // reconnect does the same; asking twice costs one small request and never duplicates a post).
  function sync() { if (window.htmx && document.getElementById("board-sync")) { window.htmx.trigger(document.body, "board-sync"); } }
  window.addEventListener("online", sync);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") { sync(); } });
  document.addEventListener("htmx:sendError", function (e) {
    if (e.target.id === "board-sync") { window.setTimeout(sync, 3000); }
  });
  window.addEventListener("scroll", function () { if (unseen.length) { update(); } }, {passive: true});
}());
