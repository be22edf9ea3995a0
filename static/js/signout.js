/* At sign-out, this browser forgets what it kept for the person signing out: the co-editing edits
   (IndexedDB database "lsweb-coedit-u<id>", see static/js/coedit/store.js) and the observation notes
   waiting to be sent ("lsweb-notes-u<id>-<lesson>" in localStorage, see static/js/observe.js; notes
   kept by older versions under "lsweb-notes-<lesson>", whose author is unknown, go too), then signs
   out as the form would. A tablet shared by several observers keeps nobody's notes for the next. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-signout-user]");
  if (!form) { return; }
  var cleared = false;

  function forgetNotes(user) {
    try {
      var mine = "lsweb-notes-u" + user + "-";
      for (var i = localStorage.length - 1; i >= 0; i--) {
        var key = localStorage.key(i);
        if (key && (key.indexOf(mine) === 0 || /^lsweb-notes-\d+$/.test(key))) { localStorage.removeItem(key); }
      }
    } catch (e) { /* storage switched off: nothing kept */ }
  }

  form.addEventListener("submit", function (event) {
    if (cleared) { return; }
    forgetNotes(form.dataset.signoutUser);
    if (!window.indexedDB) { return; }
    event.preventDefault();
    var done = function () {
      if (cleared) { return; }
      cleared = true;
      form.submit();
    };
    var request = indexedDB.deleteDatabase("lsweb-coedit-u" + form.dataset.signoutUser);
    request.onsuccess = done;
    request.onerror = done;
    request.onblocked = function () { setTimeout(done, 1500); };  /* another tab still has it open */
    setTimeout(done, 3000);
  });
})();
