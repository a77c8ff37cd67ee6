// The storyboard as one self-contained HTML file: every finished panel, its image embedded as a
// data URL (fetched from the bot server, same origin), its scene and facts as the caption.

/** What the download needs of a panel. */
export interface DownloadPanel {
  index: number;
  prompt: string;
  /** The panel's image, once it is done. */
  image: { url: string; width: number; height: number } | null;
  /** Size, model and seed, as shown under the panel. */
  facts: string;
}

/** How long the saved file's object URL lives: long enough for the browser to start the save. */
const OBJECT_URL_LIFETIME_MS = 10_000;

async function toDataUrl(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  const blob = await response.blob();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

function escapeHtml(text: string): string {
  const entities: Record<string, string> = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
  };
  return text.replace(/[&<>"']/g, (c) => entities[c] ?? c);
}

const STYLE = `body{margin:0;background:#f6f3ec;color:#1d2326;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1100px;margin:0 auto;padding:2rem 1.25rem}
h1{font:600 2rem/1.1 Georgia,serif;margin:0 0 .25rem}
p.sub{color:#4b5559;margin:0 0 1.5rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:1.1rem}
figure{margin:0;background:#fff;border:1px solid #e2dccf;border-radius:14px;overflow:hidden;box-shadow:0 6px 20px rgba(0,0,0,.06)}
img{display:block;width:100%;height:auto}
figcaption{padding:.8rem .95rem;font:1rem/1.45 Georgia,serif}
figcaption b{display:block;font:700 .72rem/1.4 system-ui,sans-serif;letter-spacing:.08em;text-transform:uppercase;color:#0f5f59}
small{display:block;margin-top:.35rem;font:.75rem system-ui,sans-serif;color:#7a8387}`;

/** Builds storyboard.html from the finished panels and saves it; returns how many it holds. */
export async function downloadStoryboard(panels: readonly DownloadPanel[]): Promise<number> {
  const done = panels.filter((p) => p.image !== null);
  if (done.length === 0) return 0;
  const figures: string[] = [];
  for (const panel of done) {
    const image = panel.image as NonNullable<DownloadPanel["image"]>;
    const dataUrl = await toDataUrl(image.url);
    const alt = escapeHtml(`Scene ${panel.index + 1}: ${panel.prompt}`);
    figures.push(
      `<figure><img src="${dataUrl}" width="${image.width}" height="${image.height}" alt="${alt}">` +
        `<figcaption><b>Scene ${panel.index + 1}</b> ${escapeHtml(panel.prompt)}<small>${escapeHtml(panel.facts)}</small></figcaption></figure>`,
    );
  }
  const count = `${done.length} panel${done.length === 1 ? "" : "s"}`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Storyboard</title>
<style>
${STYLE}
</style></head>
<body><main><h1>Storyboard</h1><p class="sub">${count} · made with pipecat-ts · ${escapeHtml(new Date().toLocaleString())}</p>
<div class="grid">
${figures.join("\n")}
</div></main></body></html>
`;
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([html], { type: "text/html" }));
  link.download = "storyboard.html";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), OBJECT_URL_LIFETIME_MS);
  return done.length;
}
