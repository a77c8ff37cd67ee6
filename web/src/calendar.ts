// The calendar page: Start connects to the calendar bot, which narrates the months at once (on
// bot-ready). Its speech plays through Pipecat's client (WavMediaManager's player, 24 kHz); each
// month's picture arrives as an RTVI server-message the bot releases just before that month's
// first audio chunk, so showing it on arrival shows it as its speech starts, with its sentence as
// the caption.
import { BotConnection, errorText, log } from "./connection.js";
import { element } from "./dom.js";

interface MonthImage {
  type: "image";
  index: number;
  month: string;
  url: string;
  width: number;
  height: number;
  prompt: string;
}

export function startCalendar(): void {
  const els = {
    start: element<HTMLButtonElement>("start"),
    stop: element<HTMLButtonElement>("stop"),
    status: element<HTMLParagraphElement>("status"),
    notice: element<HTMLParagraphElement>("notice"),
    now: element<HTMLElement>("now"),
    nowFrame: element<HTMLDivElement>("now-frame"),
    nowMonth: element<HTMLHeadingElement>("now-month"),
    nowCaption: element<HTMLParagraphElement>("now-caption"),
    months: element<HTMLOListElement>("months"),
    progressBar: element<HTMLDivElement>("progress-bar"),
  };
  const state = { total: 0, shown: 0, finished: false, running: false };

  function status(text: string, kind: string): void {
    els.status.textContent = text;
    els.status.dataset.state = kind;
  }

  function showNotice(message: string): void {
    els.notice.textContent = message;
    els.notice.hidden = false;
  }

  function setRunning(running: boolean): void {
    state.running = running;
    els.start.disabled = running;
    els.stop.disabled = !running;
    els.start.textContent = state.shown > 0 ? "Play again" : "Start";
  }

  function updateProgress(): void {
    const total = state.total || 1;
    els.progressBar.style.width = `${Math.round((state.shown / total) * 100)}%`;
  }

  function showMonth(msg: MonthImage): void {
    // The big picture: this month, now speaking.
    const img = document.createElement("img");
    img.src = msg.url;
    img.width = msg.width;
    img.height = msg.height;
    img.alt = `${msg.month}: ${msg.prompt}`;
    img.decoding = "async";
    img.addEventListener("load", () => img.classList.add("loaded"), { once: true });
    els.nowFrame.replaceChildren(img);
    els.nowFrame.style.setProperty("--ratio", `${msg.width} / ${msg.height}`);
    els.now.dataset.index = String(msg.index);
    els.nowMonth.textContent = msg.month;
    els.nowCaption.textContent = msg.prompt;
    // And its place in the year.
    const li = document.createElement("li");
    li.className = "month";
    li.dataset.index = String(msg.index);
    const thumb = document.createElement("img");
    thumb.src = msg.url;
    thumb.alt = msg.month;
    thumb.width = msg.width;
    thumb.height = msg.height;
    const name = document.createElement("span");
    name.textContent = msg.month;
    li.append(thumb, name);
    els.months.append(li);
    state.shown += 1;
    updateProgress();
    log("month-shown", { index: msg.index, month: msg.month });
  }

  const bot = new BotConnection({
    serverMessage(msg) {
      if (msg.type === "calendar-started") {
        state.total = Array.isArray(msg.months) ? msg.months.length : 0;
        status(`Narrating ${state.total} months…`, "running");
      } else if (msg.type === "image") {
        showMonth(msg as unknown as MonthImage);
        status(`Month ${state.shown} of ${state.total || "?"}`, "running");
      } else if (msg.type === "calendar-finished") {
        // The connection stays open (the last words are still playing); Play again starts anew.
        state.finished = true;
        status(`All ${state.shown} months narrated.`, "done");
        setRunning(false);
      }
    },
    botStartedSpeaking() {
      els.now.dataset.speaking = "true";
    },
    botStoppedSpeaking() {
      els.now.dataset.speaking = "false";
    },
    error(message, fatal) {
      showNotice(message);
      if (fatal) setRunning(false);
    },
    disconnected() {
      if (!state.finished) status("Disconnected.", "offline");
      setRunning(false);
    },
  });

  async function start(): Promise<void> {
    if (bot.connected) await bot.disconnect();
    els.notice.hidden = true;
    els.months.replaceChildren();
    els.nowFrame.replaceChildren();
    els.nowMonth.textContent = "";
    els.nowCaption.textContent = "";
    Object.assign(state, { total: 0, shown: 0, finished: false });
    updateProgress();
    setRunning(true);
    status("Connecting…", "connecting");
    try {
      await bot.connect();
      status("Writing January…", "running");
    } catch (error) {
      status("Cannot reach the bot.", "offline");
      showNotice(`Cannot connect to the bot: ${errorText(error)}`);
      setRunning(false);
    }
  }

  async function stop(): Promise<void> {
    await bot.disconnect();
    status(`Stopped after ${state.shown} month${state.shown === 1 ? "" : "s"}.`, "stopped");
    setRunning(false);
  }

  els.start.addEventListener("click", () => void start());
  els.stop.addEventListener("click", () => void stop());
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && state.running) {
      event.preventDefault();
      void stop();
    }
  });
  setRunning(false);
  status("Press Start: the bot narrates the year, month by month.", "idle");
}
