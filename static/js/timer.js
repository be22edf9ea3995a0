/* The 5-minute interview timer. Without JavaScript it stays hidden. */
(function () {
  "use strict";
  document.querySelectorAll(".timer[data-seconds]").forEach(function (box) {
    var total = parseInt(box.dataset.seconds, 10), left = total, tick = null;
    var clock = box.querySelector(".timer-clock"), done = box.querySelector(".timer-done");
    function show() { clock.textContent = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2); }
    box.querySelector(".timer-start").addEventListener("click", function () {
      if (tick) { return; }
      done.textContent = "";
      tick = setInterval(function () {
        left -= 1; show();
        if (left <= 0) { clearInterval(tick); tick = null; done.textContent = "Five minutes are up."; }
      }, 1000);
    });
    box.querySelector(".timer-reset").addEventListener("click", function () {
      clearInterval(tick); tick = null; left = total; done.textContent = ""; show();
    });
    box.hidden = false; show();
  });
}());
