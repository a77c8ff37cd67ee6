// Webhook delivery for queue requests submitted with ?fal_webhook=<url>: one best-effort POST
// of fal's webhook body when the request completes. No retries and no signature headers. It
// only ever delivers to this machine (loopback), and never follows a redirect: a server that
// others may reach must not become a way to send requests elsewhere (SSRF).
import { isLoopbackAddress } from "../../server/host-guard.js";
import { describeError } from "../../utils/errors.js";

export interface WebhookBody {
  request_id: string;
  gateway_request_id: string;
  status: "OK" | "ERROR";
  payload: unknown;
  error?: string;
}

export interface WebhookOutcome {
  url: string;
  ok: boolean;
  status?: number;
  error?: string;
}

/** What a webhook URL must be, for the 400 that refuses another. */
export const WEBHOOK_URL_RULE =
  "fal_webhook must be an absolute http(s) URL on this machine (loopback: 127.0.0.1, localhost or [::1]); the local server delivers nowhere else";

/** Whether a webhook URL is acceptable: absolute http(s), to a loopback host, no credentials. */
export function isDeliverableWebhookUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return (
    (u.protocol === "http:" || u.protocol === "https:") &&
    u.username === "" &&
    u.password === "" &&
    isLoopbackAddress(u.hostname)
  );
}

export class WebhookSender {
  private readonly inflight = new Set<AbortController>();
  delivered = 0;
  failed = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Posts the body; never throws. Resolves when the attempt is over. */
  async send(url: string, body: WebhookBody): Promise<WebhookOutcome> {
    if (!isDeliverableWebhookUrl(url)) {
      this.failed += 1;
      return { url, ok: false, error: "not an http(s) URL on this machine" };
    }
    const controller = new AbortController();
    this.inflight.add(controller);
    const timer = setTimeout(
      () => controller.abort(new Error(`webhook timed out after ${this.timeoutMs} ms`)),
      this.timeoutMs,
    );
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "local-fal-webhook",
          "x-fal-webhook-request-id": body.request_id,
          "x-fal-webhook-timestamp": String(Math.floor(Date.now() / 1000)),
        },
        body: JSON.stringify(body),
        signal: controller.signal,
        redirect: "manual",
      });
      await res.arrayBuffer().catch(() => undefined);
      const ok = res.status >= 200 && res.status < 300;
      if (ok) this.delivered += 1;
      else this.failed += 1;
      this.log(`webhook ${body.request_id} -> ${res.status}`);
      return { url, ok, status: res.status };
    } catch (error) {
      this.failed += 1;
      const message = describeError(error);
      this.log(`webhook ${body.request_id} failed: ${message}`);
      return { url, ok: false, error: message };
    } finally {
      clearTimeout(timer);
      this.inflight.delete(controller);
    }
  }

  /** Aborts deliveries still in flight (used by close()). */
  abortAll(): void {
    for (const c of this.inflight) c.abort(new Error("server closing"));
    this.inflight.clear();
  }
}
