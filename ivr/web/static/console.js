// Live parts of the console and supervisor pages, without a build step.
//
// Each element with data-live="URL" (from url_for, so it works behind a proxy) polls that URL
// every data-every milliseconds; the answer is {"id": "<html rendered by the server>"} and
// each element #id whose HTML changed is replaced. The server escapes everything it renders,
// so no text from the data ever becomes markup here. A part with an audio player in use is
// left alone until the player stops. A hidden tab polls five times less often.
(function () {
  "use strict";
  var status = document.querySelector("[data-live-status]");

  function say(text, bad) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("error", !!bad);
  }

  function busy(el) {
    var players = el.querySelectorAll("audio");
    for (var i = 0; i < players.length; i++) {
      if (!players[i].paused) return true;
    }
    return false;
  }

  function live(root) {
    var url = root.getAttribute("data-live");
    var every = parseInt(root.getAttribute("data-every"), 10) || 1000;
    var last = {};

    function schedule() {
      window.setTimeout(poll, document.hidden ? every * 5 : every);
    }

    function poll() {
      fetch(url, {credentials: "same-origin", cache: "no-store",
                  headers: {"Accept": "application/json"}})
        .then(function (response) {
          if (response.status === 401 || response.status === 403) {
            say("Signed out: reload the page to sign in again.", true);
            return null;  // stop polling: a new sign-in is needed
          }
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json().then(function (parts) {
            Object.keys(parts).forEach(function (id) {
              var el = document.getElementById(id);
              if (!el || last[id] === parts[id] || busy(el)) return;
              el.innerHTML = parts[id];
              last[id] = parts[id];
            });
            say("live · " + new Date().toLocaleTimeString(), false);
            schedule();
          });
        })
        .catch(function () {
          say("connection lost, retrying…", true);
          schedule();
        });
    }

    schedule();
  }

  document.querySelectorAll("[data-live]").forEach(live);
})();
