// Storyboard demo page: plain browser JavaScript, no framework, no build step.
// Talks to the demo server over one WebSocket (/ws): sends start / stop / settings, receives
// progress, image, error and done messages for the current run.

(() => {
  const $ = (id) => document.getElementById(id);
  const els = {
    form: $("composer"),
    story: $("story"),
    sceneCount: $("scene-count"),
    model: $("model"),
    size: $("size"),
    seed: $("seed"),
    generate: $("generate"),
    stop: $("stop"),
    download: $("download"),
    notice: $("notice"),
    backend: $("backend"),
    panels: $("panels"),
    empty: $("empty"),
    progressText: $("progress-text"),
    progressBar: $("progress-bar"),
  };

  const SIZES = {
    square_hd: [1024, 1024],
    square: [512, 512],
    portrait_4_3: [768, 1024],
    portrait_16_9: [576, 1024],
    landscape_4_3: [1024, 768],
    landscape_16_9: [1024, 576],
  };
  const MODEL_NAMES = {
    "fal-ai/fast-sdxl": "Fast SDXL",
    "fal-ai/fast-lightning-sdxl": "Fast Lightning SDXL",
    "fal-ai/flux/schnell": "FLUX.1 [schnell]",
    "fal-ai/flux/dev": "FLUX.1 [dev]",
  };
  const STAGE_LABELS = {
    queued: "Queued",
    in_queue: "In queue",
    in_progress: "In progress",
    done: "Done",
    error: "Error",
    cancelled: "Cancelled",
  };
  const FINAL = new Set(["done", "error", "cancelled"]);

  /** @type {WebSocket | undefined} */
  let ws;
  let reconnectDelay = 500;
  const state = {
    run: 0,
    running: false,
    waitingForStart: false,
    startedAt: 0,
    finishedAt: 0,
    panels: [],
    backend: "",
  };

  // ------------------------------------------------------------------------------------------
  // Scenes

  /** One scene per line; a line with several sentences is split into its sentences. */
  function splitScenes(text) {
    const scenes = [];
    for (const line of text.split(/\r?\n/)) {
      const trimmed = line.replace(/\s+/g, " ").trim();
      if (!trimmed) continue;
      const sentences = trimmed.match(/[^.!?…]+(?:[.!?…]+["'”’)]*|$)/g) || [trimmed];
      const parts = sentences
        .map((s) => s.trim())
        .filter((s) => s.replace(/[.!?…"'”’)\s]/g, "").length > 0);
      if (parts.length > 1) scenes.push(...parts);
      else scenes.push(trimmed);
    }
    return scenes;
  }

  function updateSceneCount() {
    const n = splitScenes(els.story.value).length;
    els.sceneCount.textContent = n === 0 ? "No scenes yet." : n === 1 ? "1 scene" : `${n} scenes`;
    if (!state.running) els.generate.disabled = n === 0 || !isOpen();
  }

  // ------------------------------------------------------------------------------------------
  // Settings

  function readSettings() {
    const seedText = els.seed.value.trim();
    if (seedText !== "" && !/^\d{1,15}$/.test(seedText)) {
      return { error: "The seed must be a whole number (or empty for a random seed)." };
    }
    return {
      settings: {
        model: els.model.value,
        imageSize: els.size.value,
        seed: seedText === "" ? null : Number(seedText),
      },
    };
  }

  function ratioFor(size) {
    const dims = typeof size === "string" ? SIZES[size] : size && [size.width, size.height];
    return dims ? `${dims[0]} / ${dims[1]}` : "4 / 3";
  }

  // ------------------------------------------------------------------------------------------
  // Notices and progress

  let noticeTimer;
  function showNotice(message, kind = "error", sticky = false) {
    clearTimeout(noticeTimer);
    els.notice.textContent = message;
    els.notice.dataset.kind = kind;
    els.notice.hidden = false;
    if (!sticky) noticeTimer = setTimeout(() => (els.notice.hidden = true), 7000);
  }
  function hideNotice() {
    clearTimeout(noticeTimer);
    els.notice.hidden = true;
  }

  function updateProgress() {
    const total = state.panels.length;
    const done = state.panels.filter((p) => p.stage === "done").length;
    const failed = state.panels.filter((p) => p.stage === "error").length;
    const cancelled = state.panels.filter((p) => p.stage === "cancelled").length;
    const finished = done + failed + cancelled;
    els.progressBar.style.width = total ? `${Math.round((finished / total) * 100)}%` : "0";
    let text;
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

  function setRunning(running) {
    state.running = running;
    els.stop.disabled = !running;
    els.generate.disabled = !isOpen() || splitScenes(els.story.value).length === 0;
    els.form.setAttribute("aria-busy", running ? "true" : "false");
  }

  // ------------------------------------------------------------------------------------------
  // Panels

  function buildPanels(prompts, settings) {
    els.panels.textContent = "";
    state.panels = prompts.map((prompt, index) => {
      const li = document.createElement("li");
      li.className = "panel";
      li.dataset.index = String(index);
      li.dataset.stage = "queued";

      const figure = document.createElement("figure");
      const frame = document.createElement("div");
      frame.className = "frame";
      frame.style.setProperty(
        "--ratio",
        ratioFor(
          settings?.width ? { width: settings.width, height: settings.height } : els.size.value,
        ),
      );
      const number = document.createElement("span");
      number.className = "number";
      number.setAttribute("aria-hidden", "true");
      number.textContent = String(index + 1);
      const chip = document.createElement("span");
      chip.className = "chip";
      chip.textContent = STAGE_LABELS.queued;
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
      return {
        prompt,
        stage: "queued",
        position: null,
        image: null,
        error: null,
        li,
        frame,
        chip,
        meta,
        caption,
      };
    });
    els.empty.hidden = state.panels.length > 0;
    updateProgress();
  }

  function setStage(panel, stage, position) {
    if (!panel || FINAL.has(panel.stage)) return;
    panel.stage = stage;
    panel.position = position ?? null;
    panel.li.dataset.stage = stage;
    let label = STAGE_LABELS[stage] || stage;
    if (stage === "in_queue" && typeof position === "number") label = `Position ${position + 1}`;
    panel.chip.textContent = label;
    panel.li.setAttribute(
      "aria-label",
      `Scene ${Number(panel.li.dataset.index) + 1}: ${label.toLowerCase()}`,
    );
  }

  function showImage(panel, msg) {
    if (!panel) return;
    panel.image = msg;
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
    const facts = [`${msg.width}×${msg.height}`, MODEL_NAMES[msg.model] || msg.model];
    if (msg.seed !== null && msg.seed !== undefined) facts.push(`seed ${msg.seed}`);
    panel.meta.textContent = facts.filter(Boolean).join(" · ");
    setStage(panel, "done");
    panel.li.removeAttribute("aria-label");
  }

  function showPanelError(panel, message) {
    if (!panel) return;
    setStage(panel, "error");
    panel.error = message;
    const p = document.createElement("p");
    p.className = "error-text";
    p.textContent = message;
    panel.meta.before(p);
  }

  // ------------------------------------------------------------------------------------------
  // WebSocket

  function isOpen() {
    return ws !== undefined && ws.readyState === WebSocket.OPEN;
  }

  function send(message) {
    if (!isOpen()) {
      showNotice("Not connected to the demo server yet; trying again…");
      return false;
    }
    ws.send(JSON.stringify(message));
    return true;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${scheme}://${location.host}/ws`);
    ws.addEventListener("open", () => {
      reconnectDelay = 500;
      updateSceneCount();
      setRunning(false);
    });
    ws.addEventListener("message", (event) => {
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return;
      }
      handle(msg);
    });
    ws.addEventListener("close", () => {
      els.backend.dataset.state = "offline";
      els.backend.textContent = "Disconnected · reconnecting…";
      if (state.running) {
        for (const panel of state.panels) setStage(panel, "cancelled");
        state.finishedAt = Date.now();
        setRunning(false);
        updateProgress();
        showNotice("The connection to the demo server was lost.");
      }
      els.generate.disabled = true;
      setTimeout(connect, reconnectDelay);
      reconnectDelay = Math.min(reconnectDelay * 2, 8000);
    });
  }

  function handle(msg) {
    switch (msg.type) {
      case "hello": {
        state.backend = msg.backend;
        els.backend.dataset.state = msg.backend;
        els.backend.textContent =
          msg.backend === "local"
            ? "Local preview renderer (not a model)"
            : msg.backend === "fal"
              ? "fal.ai"
              : "fal-compatible server";
        return;
      }
      case "started": {
        state.run = msg.run;
        state.waitingForStart = false;
        state.startedAt = Date.now();
        state.finishedAt = 0;
        buildPanels(msg.prompts, msg.settings);
        setRunning(true);
        return;
      }
      case "progress": {
        if (msg.run !== state.run) return;
        setStage(state.panels[msg.index], msg.stage, msg.queuePosition);
        updateProgress();
        return;
      }
      case "image": {
        if (msg.run !== state.run) return;
        showImage(state.panels[msg.index], msg);
        updateProgress();
        return;
      }
      case "error": {
        if (msg.index >= 0 && msg.run === state.run) {
          showPanelError(state.panels[msg.index], msg.message);
          updateProgress();
        } else {
          state.waitingForStart = false;
          showNotice(msg.message, "error");
        }
        return;
      }
      case "settings": {
        if (
          msg.run === state.run &&
          state.running &&
          typeof msg.appliesFrom === "number" &&
          msg.appliesFrom < state.panels.length
        ) {
          const ratio = ratioFor({ width: msg.settings.width, height: msg.settings.height });
          for (const panel of state.panels.slice(msg.appliesFrom))
            if (!panel.image) panel.frame.style.setProperty("--ratio", ratio);
          showNotice(`New settings apply from scene ${msg.appliesFrom + 1} on.`, "info");
        }
        return;
      }
      case "done": {
        if (msg.run !== state.run) return;
        for (const panel of state.panels) if (!FINAL.has(panel.stage)) setStage(panel, "cancelled");
        state.finishedAt = Date.now();
        setRunning(false);
        updateProgress();
        return;
      }
      default:
        return;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Actions

  function generate() {
    hideNotice();
    const prompts = splitScenes(els.story.value);
    if (prompts.length === 0) {
      showNotice("Write at least one scene first.");
      els.story.focus();
      return;
    }
    const { settings, error } = readSettings();
    if (error) {
      showNotice(error);
      els.seed.focus();
      return;
    }
    if (send({ type: "start", prompts, settings })) state.waitingForStart = true;
  }

  function stop() {
    if (!state.running) return;
    send({ type: "stop" });
  }

  function settingsChanged() {
    if (!state.running) return;
    const { settings, error } = readSettings();
    if (error) {
      showNotice(error);
      return;
    }
    send({ type: "settings", settings });
  }

  async function toDataUrl(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const blob = await response.blob();
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
  }

  function escapeHtml(text) {
    return String(text).replace(
      /[&<>"']/g,
      (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
    );
  }

  /** A self-contained HTML file: every finished panel, images embedded as data URLs. */
  async function downloadStoryboard() {
    const done = state.panels.filter((p) => p.image);
    if (done.length === 0) return;
    els.download.disabled = true;
    try {
      const figures = [];
      for (const panel of state.panels) {
        const index = Number(panel.li.dataset.index);
        if (!panel.image) continue;
        const dataUrl = await toDataUrl(panel.image.url);
        const facts = panel.meta.textContent;
        figures.push(
          `<figure><img src="${dataUrl}" width="${panel.image.width}" height="${panel.image.height}" alt="${escapeHtml(`Scene ${index + 1}: ${panel.prompt}`)}">` +
            `<figcaption><b>Scene ${index + 1}</b> ${escapeHtml(panel.prompt)}<small>${escapeHtml(facts)}</small></figcaption></figure>`,
        );
      }
      const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Storyboard</title>
<style>
body{margin:0;background:#f6f3ec;color:#1d2326;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1100px;margin:0 auto;padding:2rem 1.25rem}
h1{font:600 2rem/1.1 Georgia,serif;margin:0 0 .25rem}
p.sub{color:#4b5559;margin:0 0 1.5rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:1.1rem}
figure{margin:0;background:#fff;border:1px solid #e2dccf;border-radius:14px;overflow:hidden;box-shadow:0 6px 20px rgba(0,0,0,.06)}
img{display:block;width:100%;height:auto}
figcaption{padding:.8rem .95rem;font:1rem/1.45 Georgia,serif}
figcaption b{display:block;font:700 .72rem/1.4 system-ui,sans-serif;letter-spacing:.08em;text-transform:uppercase;color:#0f5f59}
small{display:block;margin-top:.35rem;font:.75rem system-ui,sans-serif;color:#7a8387}
</style></head>
<body><main><h1>Storyboard</h1><p class="sub">${done.length} panel${done.length === 1 ? "" : "s"} · made with pipecat-ts · ${escapeHtml(new Date().toLocaleString())}</p>
<div class="grid">
${figures.join("\n")}
</div></main></body></html>
`;
      const blob = new Blob([html], { type: "text/html" });
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = "storyboard.html";
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      showNotice(
        `Saved storyboard.html with ${done.length} panel${done.length === 1 ? "" : "s"}.`,
        "info",
      );
    } catch (error) {
      showNotice(
        `Could not build the download: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      els.download.disabled = !state.panels.some((p) => p.image);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Wiring

  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    generate();
  });
  els.stop.addEventListener("click", stop);
  els.download.addEventListener("click", () => void downloadStoryboard());
  els.story.addEventListener("input", updateSceneCount);
  for (const control of [els.model, els.size]) control.addEventListener("change", settingsChanged);
  els.seed.addEventListener("change", settingsChanged);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      generate();
    } else if (event.key === "Escape" && state.running) {
      event.preventDefault();
      stop();
    }
  });

  updateSceneCount();
  updateProgress();
  els.generate.disabled = true;
  connect();

  // For tests and the curious: the scene splitter.
  window.storyboard = { splitScenes };
})();
