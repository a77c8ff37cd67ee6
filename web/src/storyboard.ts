// The storyboard page: write a story, one scene per line; Generate sends it to the storyboard bot
// (RTVI send-text), whose server-messages fill the panels in scene order with live status. Stop and
// settings are client requests ("stop", "settings"). The page connects at the first Generate (a
// click or Ctrl+Enter), as the audio player of Pipecat's client may only start after one.
import { BotConnection, errorText } from "./connection.js";
import { element } from "./dom.js";
import { downloadStoryboard, type DownloadPanel } from "./download.js";
import { IMAGE_SIZE_PRESETS, isImageSizePreset } from "../../src/services/image-size.js";

/** How long a notice stays up before it hides itself. */
const NOTICE_VISIBLE_MS = 7000;
/** The panels' shape before the bot says the size (fal's default preset's). */
const DEFAULT_RATIO = "4 / 3";
const STAGE_LABELS: Record<string, string> = {
  queued: "Queued",
  in_queue: "In queue",
  in_progress: "In progress",
  done: "Done",
  error: "Error",
  cancelled: "Cancelled",
};
const FINAL = new Set(["done", "error", "cancelled"]);
const BACKENDS: Record<string, string> = {
  local: "Local preview renderer (not a model)",
  fal: "fal.ai",
  server: "fal-compatible server",
};

interface ImageMessage {
  type: "image";
  run: number;
  index: number;
  url: string;
  width: number;
  height: number;
  prompt: string;
  seed: number | null;
  model: string | null;
}

interface Panel extends DownloadPanel {
  stage: string;
  li: HTMLLIElement;
  frame: HTMLDivElement;
  chip: HTMLSpanElement;
  meta: HTMLParagraphElement;
}

interface PageSettings {
  model: string;
  imageSize: string;
  seed: number | null;
}

/** One scene per line; a line with several sentences is split into its sentences. */
export function splitScenes(text: string): string[] {
  const scenes: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.replace(/\s+/g, " ").trim();
    if (!trimmed) continue;
    const sentences = trimmed.match(/[^.!?…]+(?:[.!?…]+["'”’)]*|$)/g) ?? [trimmed];
    const parts = sentences
      .map((s) => s.trim())
      .filter((s) => s.replace(/[.!?…"'”’)\s]/g, "").length > 0);
    if (parts.length > 1) scenes.push(...parts);
    else scenes.push(trimmed);
  }
  return scenes;
}

export function startStoryboard(): void {
  const els = {
    form: element<HTMLFormElement>("composer"),
    story: element<HTMLTextAreaElement>("story"),
    sceneCount: element<HTMLParagraphElement>("scene-count"),
    model: element<HTMLSelectElement>("model"),
    size: element<HTMLSelectElement>("size"),
    seed: element<HTMLInputElement>("seed"),
    generate: element<HTMLButtonElement>("generate"),
    stop: element<HTMLButtonElement>("stop"),
    download: element<HTMLButtonElement>("download"),
    notice: element<HTMLParagraphElement>("notice"),
    backend: element<HTMLParagraphElement>("backend"),
    panels: element<HTMLOListElement>("panels"),
    empty: element<HTMLParagraphElement>("empty"),
    progressText: element<HTMLParagraphElement>("progress-text"),
    progressBar: element<HTMLDivElement>("progress-bar"),
  };
  const state = {
    run: 0,
    running: false,
    busy: false,
    startedAt: 0,
    finishedAt: 0,
    panels: [] as Panel[],
  };

  // ------------------------------------------------------------------------------------------
  // Notices, status and progress

  let noticeTimer: ReturnType<typeof setTimeout> | undefined;
  function showNotice(message: string, kind: "error" | "info" = "error"): void {
    clearTimeout(noticeTimer);
    els.notice.textContent = message;
    els.notice.dataset.kind = kind;
    els.notice.hidden = false;
    noticeTimer = setTimeout(() => {
      els.notice.hidden = true;
    }, NOTICE_VISIBLE_MS);
  }
  function hideNotice(): void {
    clearTimeout(noticeTimer);
    els.notice.hidden = true;
  }

  function showBackend(kind: string, connected: boolean): void {
    els.backend.dataset.state = connected ? kind : "idle";
    const name = BACKENDS[kind] ?? kind;
    els.backend.textContent = connected ? name : `${name} · connects on Generate`;
  }

  function updateSceneCount(): void {
    const n = splitScenes(els.story.value).length;
    els.sceneCount.textContent = n === 0 ? "No scenes yet." : n === 1 ? "1 scene" : `${n} scenes`;
    if (!state.running) els.generate.disabled = n === 0 || state.busy;
  }

  function updateProgress(): void {
    const total = state.panels.length;
    const count = (stage: string): number => state.panels.filter((p) => p.stage === stage).length;
    const done = count("done");
    const failed = count("error");
    const cancelled = count("cancelled");
    els.progressBar.style.width = total
      ? `${Math.round(((done + failed + cancelled) / total) * 100)}%`
      : "0";
    let text: string;
    if (total === 0) text = "Nothing generated yet.";
    else if (state.running)
      text = `${done} of ${total} panels done${failed ? ` · ${failed} failed` : ""}`;
    else {
      const secs =
        state.finishedAt && state.startedAt
          ? ` in ${((state.finishedAt - state.startedAt) / 1000).toFixed(1)} s`
          : "";
      const parts = [`${done} of ${total} done`];
      if (failed) parts.push(`${failed} failed`);
      if (cancelled) parts.push(`${cancelled} cancelled`);
      text = cancelled
        ? `Stopped: ${parts.join(" · ")}`
        : done === total
          ? `All ${total} panels done${secs}`
          : parts.join(" · ");
    }
    els.progressText.textContent = text;
    els.download.disabled = done === 0;
  }

  function setRunning(running: boolean): void {
    state.running = running;
    els.stop.disabled = !running;
    els.generate.disabled = state.busy || splitScenes(els.story.value).length === 0;
    els.form.setAttribute("aria-busy", running ? "true" : "false");
  }

  // ------------------------------------------------------------------------------------------
  // Settings

  function readSettings(): { settings?: PageSettings; error?: string } {
    const seedText = els.seed.value.trim();
    if (seedText !== "" && !/^\d{1,15}$/.test(seedText))
      return { error: "The seed must be a whole number (or empty for a random seed)." };
    return {
      settings: {
        model: els.model.value,
        imageSize: els.size.value,
        seed: seedText === "" ? null : Number(seedText),
      },
    };
  }

  /** The model's name as the page's model menu shows it, else its id. */
  function modelName(model: string | null): string | null {
    return [...els.model.options].find((option) => option.value === model)?.text ?? model;
  }

  function ratioFor(size: string | { width: number; height: number } | undefined): string {
    const preset = typeof size === "string" && isImageSizePreset(size) ? size : undefined;
    const dims = typeof size === "string" ? preset && IMAGE_SIZE_PRESETS[preset] : size;
    return dims ? `${dims.width} / ${dims.height}` : DEFAULT_RATIO;
  }

  // ------------------------------------------------------------------------------------------
  // Panels

  function buildPanel(prompt: string, index: number, ratio: string): Panel {
    const li = document.createElement("li");
    li.className = "panel";
    li.dataset.index = String(index);
    li.dataset.stage = "queued";
    const figure = document.createElement("figure");
    const frame = document.createElement("div");
    frame.className = "frame";
    frame.style.setProperty("--ratio", ratio);
    const number = document.createElement("span");
    number.className = "number";
    number.setAttribute("aria-hidden", "true");
    number.textContent = String(index + 1);
    const chip = document.createElement("span");
    chip.className = "chip";
    chip.textContent = STAGE_LABELS.queued ?? "Queued";
    frame.append(number, chip);
    const caption = document.createElement("figcaption");
    const label = document.createElement("span");
    label.className = "scene-label";
    label.textContent = `Scene ${index + 1}`;
    const text = document.createElement("p");
    text.className = "prompt";
    text.textContent = prompt;
    const meta = document.createElement("p");
    meta.className = "meta";
    caption.append(label, text, meta);
    figure.append(frame, caption);
    li.append(figure);
    els.panels.append(li);
    return { index, prompt, stage: "queued", image: null, facts: "", li, frame, chip, meta };
  }

  function addScenes(from: number, scenes: string[], width: unknown, height: unknown): void {
    if (from === 0) {
      els.panels.textContent = "";
      state.panels = [];
    }
    const ratio =
      typeof width === "number" && typeof height === "number"
        ? ratioFor({ width, height })
        : ratioFor(els.size.value);
    scenes.forEach((prompt, i) => {
      state.panels[from + i] = buildPanel(prompt, from + i, ratio);
    });
    els.empty.hidden = state.panels.length > 0;
    updateProgress();
  }

  function setStage(panel: Panel | undefined, stage: string, position?: unknown): void {
    if (panel === undefined || FINAL.has(panel.stage)) return;
    panel.stage = stage;
    panel.li.dataset.stage = stage;
    let label = STAGE_LABELS[stage] ?? stage;
    if (stage === "in_queue" && typeof position === "number") label = `Position ${position + 1}`;
    panel.chip.textContent = label;
    panel.li.setAttribute("aria-label", `Scene ${panel.index + 1}: ${label.toLowerCase()}`);
  }

  function showImage(panel: Panel | undefined, msg: ImageMessage): void {
    if (panel === undefined) return;
    panel.frame.style.setProperty("--ratio", `${msg.width} / ${msg.height}`);
    const link = document.createElement("a");
    link.href = msg.url;
    link.target = "_blank";
    link.rel = "noopener";
    link.title = "Open the full-size image";
    const img = document.createElement("img");
    img.alt = `Scene ${msg.index + 1}: ${msg.prompt}`;
    img.width = msg.width;
    img.height = msg.height;
    img.decoding = "async";
    img.addEventListener("load", () => img.classList.add("loaded"), { once: true });
    img.src = msg.url;
    link.append(img);
    panel.frame.prepend(link);
    const facts = [`${msg.width}×${msg.height}`, modelName(msg.model)];
    if (msg.seed !== null && msg.seed !== undefined) facts.push(`seed ${msg.seed}`);
    panel.facts = facts.filter(Boolean).join(" · ");
    panel.meta.textContent = panel.facts;
    panel.image = { url: msg.url, width: msg.width, height: msg.height };
    setStage(panel, "done");
    panel.li.removeAttribute("aria-label");
  }

  function showPanelError(panel: Panel | undefined, message: string): void {
    if (panel === undefined) return;
    setStage(panel, "error");
    const p = document.createElement("p");
    p.className = "error-text";
    p.textContent = message;
    panel.meta.before(p);
  }

  // ------------------------------------------------------------------------------------------
  // The bot

  const bot = new BotConnection({
    serverMessage(msg) {
      switch (msg.type) {
        case "scenes": {
          const from = Number(msg.from);
          if (from === 0) {
            state.run = Number(msg.run);
            state.startedAt = Date.now();
            state.finishedAt = 0;
          } else if (msg.run !== state.run) return;
          const settings = (msg.settings ?? {}) as { width?: unknown; height?: unknown };
          addScenes(from, msg.scenes as string[], settings.width, settings.height);
          setRunning(true);
          return;
        }
        case "progress": {
          if (msg.run !== state.run) return;
          const panel = state.panels[Number(msg.index)];
          if (msg.stage === "error") showPanelError(panel, String(msg.error ?? "Failed"));
          else setStage(panel, String(msg.stage), msg.queuePosition);
          updateProgress();
          return;
        }
        case "image": {
          const image = msg as unknown as ImageMessage;
          if (image.run !== state.run) return;
          showImage(state.panels[image.index], image);
          updateProgress();
          return;
        }
        case "run-finished": {
          if (msg.run !== state.run) return;
          for (const panel of state.panels)
            if (!FINAL.has(panel.stage)) setStage(panel, "cancelled");
          state.finishedAt = Date.now();
          setRunning(false);
          updateProgress();
          return;
        }
        default:
          return;
      }
    },
    error(message) {
      showNotice(message);
    },
    disconnected() {
      els.backend.dataset.state = "offline";
      els.backend.textContent = "Disconnected · Generate reconnects";
      if (state.running) {
        for (const panel of state.panels) setStage(panel, "cancelled");
        state.finishedAt = Date.now();
        setRunning(false);
        updateProgress();
        showNotice("The connection to the bot was lost.");
      }
    },
  });

  async function connect(): Promise<boolean> {
    if (bot.connected) return true;
    els.backend.dataset.state = "connecting";
    els.backend.textContent = "Connecting…";
    try {
      const ready = await bot.connect();
      const about = (ready?.about ?? {}) as { backend?: unknown };
      showBackend(String(about.backend ?? "server"), true);
      return true;
    } catch (error) {
      els.backend.dataset.state = "offline";
      els.backend.textContent = "Cannot reach the bot";
      showNotice(`Cannot connect to the bot: ${errorText(error)}`);
      return false;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Actions

  async function generate(): Promise<void> {
    if (state.busy) return;
    hideNotice();
    const scenes = splitScenes(els.story.value);
    if (scenes.length === 0) {
      showNotice("Write at least one scene first.");
      els.story.focus();
      return;
    }
    const { settings, error } = readSettings();
    if (error !== undefined || settings === undefined) {
      showNotice(error ?? "Check the settings.");
      els.seed.focus();
      return;
    }
    state.busy = true;
    els.generate.disabled = true;
    try {
      if (!(await connect())) return;
      await bot.request("settings", settings);
      await bot.sendText(scenes.join("\n"));
    } catch (failure) {
      showNotice(errorText(failure));
    } finally {
      state.busy = false;
      els.generate.disabled = splitScenes(els.story.value).length === 0;
    }
  }

  async function stop(): Promise<void> {
    if (!state.running) return;
    try {
      await bot.request("stop");
    } catch (failure) {
      showNotice(errorText(failure));
    }
  }

  async function settingsChanged(): Promise<void> {
    if (!state.running) return;
    const { settings, error } = readSettings();
    if (error !== undefined || settings === undefined) {
      showNotice(error ?? "Check the settings.");
      return;
    }
    try {
      const answer = (await bot.request("settings", settings)) as {
        appliesFrom?: unknown;
        run?: unknown;
        settings?: { width?: unknown; height?: unknown };
      };
      const from = answer.appliesFrom;
      if (answer.run !== state.run || typeof from !== "number") return;
      const width = answer.settings?.width;
      const height = answer.settings?.height;
      if (typeof width === "number" && typeof height === "number")
        for (const panel of state.panels.slice(from))
          if (panel.image === null)
            panel.frame.style.setProperty("--ratio", ratioFor({ width, height }));
      els.panels.dataset.settingsFrom = String(from);
      showNotice(`New settings apply from scene ${from + 1} on.`, "info");
    } catch (failure) {
      showNotice(errorText(failure));
    }
  }

  async function download(): Promise<void> {
    els.download.disabled = true;
    try {
      const count = await downloadStoryboard(state.panels);
      if (count > 0)
        showNotice(`Saved storyboard.html with ${count} panel${count === 1 ? "" : "s"}.`, "info");
    } catch (failure) {
      showNotice(`Could not build the download: ${errorText(failure)}`);
    } finally {
      els.download.disabled = !state.panels.some((p) => p.image !== null);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Wiring

  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    void generate();
  });
  els.stop.addEventListener("click", () => void stop());
  els.download.addEventListener("click", () => void download());
  els.story.addEventListener("input", updateSceneCount);
  for (const control of [els.model, els.size, els.seed])
    control.addEventListener("change", () => void settingsChanged());
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void generate();
    } else if (event.key === "Escape" && state.running) {
      event.preventDefault();
      void stop();
    }
  });

  updateSceneCount();
  updateProgress();
  // The backend is known before connecting: the server says it on /healthz.
  void fetch("/healthz")
    .then((response) => response.json() as Promise<{ backend?: unknown }>)
    .then((health) => {
      if (!bot.connected) showBackend(String(health.backend ?? "server"), false);
    })
    .catch(() => {
      els.backend.dataset.state = "offline";
      els.backend.textContent = "Cannot reach the bot server";
    });
}
