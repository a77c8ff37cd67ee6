// The demo pages' script (bundled into web/dist/app.js by scripts/build-web.mjs): the page says
// which bot it talks to (<body data-bot="...">), and gets that view.
import { startCalendar } from "./calendar.js";
import { startStoryboard } from "./storyboard.js";

function start(): void {
  if (document.body.dataset.bot === "calendar") startCalendar();
  else startStoryboard();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
