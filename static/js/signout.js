/* At sign-out, this browser forgets the co-editing edits it kept for the person signing out (IndexedDB
   database "lsweb-coedit-u<id>", see static/js/coedit/store.js), then signs out as the form would. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-signout-user]");
  if (!form || !window.indexedDB) { return; }
  var cleared = false;
  form.addEventListener("submit", function (event) {
    if (cleared) { return; }
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
