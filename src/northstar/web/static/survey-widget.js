/* Northstar's in-app survey widget. Your backend asks Northstar for a personal link
 * (POST /api/v1/surveys/{key}/invitations with a write key: never from the browser), then your page runs:
 *
 *   <script src="https://northstar.example.com/static/survey-widget.js"></script>
 *   <script>NorthstarSurvey.open("https://northstar.example.com/s/<token>");</script>
 *
 * A small panel opens at the bottom of the page with the survey in it (the contact's language; one tap for
 * the score) and a close button. The survey pages may be framed only by the origins in
 * NORTHSTAR_EMBED_ORIGINS.
 */
(function () {
  "use strict";
  function open(url, options) {
    options = options || {};
    var old = document.getElementById("northstar-survey");
    if (old) { old.remove(); }
    var box = document.createElement("div");
    box.id = "northstar-survey";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", options.label || "Survey");
    box.style.cssText = "position:fixed;bottom:16px;right:16px;left:auto;width:min(420px,calc(100vw - 32px));" +
      "height:min(480px,calc(100vh - 32px));background:#fff;border:1px solid #d9dee5;border-radius:12px;" +
      "box-shadow:0 8px 30px rgba(0,0,0,.18);z-index:2147483000;overflow:hidden";
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", options.closeLabel || "Close");
    close.style.cssText = "position:absolute;top:4px;right:8px;border:0;background:none;font-size:22px;cursor:pointer";
    close.addEventListener("click", function () { box.remove(); });
    var frame = document.createElement("iframe");
    frame.src = url;
    frame.title = options.label || "Survey";
    frame.style.cssText = "border:0;width:100%;height:100%";
    box.appendChild(frame);
    box.appendChild(close);
    document.body.appendChild(box);
    return box;
  }
  window.NorthstarSurvey = { open: open };
})();
