/* The discussion board: a few lines htmx cannot say declaratively (no inline scripts: CSP).
   - A send that fails (network down, server away) says so in the form; the text stays and the same
     form (same token) can be sent again without making two posts.
   - New posts that arrive out of sight count into a "n new posts" button that scrolls to them.
   - Focus never falls back to the page after an action: after Post or Reply it stays in the emptied
     box; after Agree, Set mark, Delete or Hide it returns to the same post once it is swapped in
     again; each result is announced politely (#board-announce).
   - The grid and the agenda fold away for people who have already seen them on this device. */
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

  function announce(text) {
    var region = document.getElementById("board-announce");
    if (!region) { return; }
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }
  // What the user just did to which post, so focus can go back to it when the post is swapped in again.
  var pending = null;
  function authorOf(post) {
    var strong = post && post.querySelector(".post-meta strong");
    return strong ? strong.textContent : "the";
  }
  document.addEventListener("htmx:beforeRequest", function (e) {
    var form = e.target.closest ? e.target.closest("form") : null;
    var post = form && form.closest(".post");
    if (!post || !form.hasAttribute("data-hx-post")) { return; }
    var action = form.getAttribute("action") || "";
    var kind = /\/agree$/.test(action) ? "agree" : /\/mark$/.test(action) ? "mark" : /\/delete$/.test(action) ? "delete"
      : /\/hide$/.test(action) ? "hide" : null;
    if (kind) { pending = {id: post.id, kind: kind, who: authorOf(post), pressed: kind === "agree" && form.querySelector("[aria-pressed='true']") !== null}; }
  });
  document.addEventListener("htmx:oobAfterSwap", function (e) {
    var el = e.detail && e.detail.target;
    if (!pending || !el || el.id !== pending.id) { return; }
    var done = pending;
    pending = null;
    window.setTimeout(function () { refocus(done); }, 0);
  });
  function refocus(done) {
    var el = document.getElementById(done.id);
    if (!el) { return; }
    var target = null;
    if (done.kind === "agree") {
      target = el.querySelector("button[aria-pressed]");
      announce(done.pressed ? "You no longer agree with " + done.who + "’s post." : "You agree with " + done.who + "’s post.");
    } else if (done.kind === "mark") {
      target = el.querySelector("details.more > summary");
      announce("Mark saved on " + done.who + "’s post.");
    } else {
      announce(done.kind === "delete" ? "Your post is deleted." : "The post is hidden.");
    }
    if (!target) { el.setAttribute("tabindex", "-1"); target = el; }
    target.focus();
  }
  // After Post or Reply: the box is emptied (a fresh form is swapped in); focus stays in it.
  document.addEventListener("htmx:afterSwap", function (e) {
    var slot = e.detail && e.detail.target;
    if (slot && slot.classList && slot.classList.contains("post-form-slot")) {
      var box = slot.querySelector("textarea");
      var failed = slot.querySelector("[aria-invalid='true'], .form-errors");
      if (box) { box.focus(); }
      if (!failed) { announce(slot.closest(".reply-box") ? "Your reply is on the board." : "Your post is on the board."); }
    } else if (slot && slot.classList && slot.classList.contains("edit-slot")) {
      var edit = slot.querySelector("textarea");
      if (edit) { edit.focus(); }
    }
  });
  // The grid and agenda: open on the first visit, folded on later ones (remembered on this device).
  document.querySelectorAll("details[data-fold]").forEach(function (box) {
    var key = "lsweb-seen-" + box.getAttribute("data-fold");
    try {
      if (window.localStorage.getItem(key)) { box.open = false; } else { window.localStorage.setItem(key, "1"); }
    } catch (err) { /* storage off: leave it open */ }
  });

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
