// Fault injection for the local fal server: rules that make matching requests fail, slow down,
// hang, or answer with corrupt bodies. Off unless rules are given.

/** The operations a fault rule can target. `upload` covers the storage initiate call and the bytes PUT. */
export type FaultOperation =
  | "run"
  | "submit"
  | "status"
  | "stream"
  | "result"
  | "cancel"
  | "file"
  | "upload"
  | "any";

export type FaultAction =
  /** Answer with this HTTP status instead of handling the request (body defaults to {"detail":"Injected fault"}). */
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** Wait this long, then handle the request normally. */
  | { delayMs: number }
  /** Never answer (until the client gives up or the server closes). */
  | { hang: true }
  /** Handle normally, then send a body cut in half (invalid JSON) with the normal status. */
  | { brokenJson: true }
  /** Handle normally, announce the full Content-Length, send half the body, then drop the connection. */
  | { truncateBody: true }
  /** Answer 200 text/html bytes instead of the file (meant for `file`). */
  | { notAnImage: true }
  /** Reset the TCP connection without answering. */
  | { resetConnection: true };

export type FaultRule = FaultAction & {
  /** Which operation to affect; default "any". */
  operation?: FaultOperation;
  /** Only requests for this model: an endpoint id (`fal-ai/flux/dev`) or app prefix (`fal-ai/flux`). */
  model?: string;
  /** Apply to the first N matching requests only, then stop matching. */
  times?: number;
};

/** Checks a rule before it is installed; throws a readable error for nonsense rules. */
export function assertValidFaultRule(rule: FaultRule): void {
  const kinds = [
    "status",
    "delayMs",
    "hang",
    "brokenJson",
    "truncateBody",
    "notAnImage",
    "resetConnection",
  ].filter((k) => (rule as Record<string, unknown>)[k] !== undefined);
  if (kinds.length !== 1)
    throw new TypeError(`fault rule needs exactly one action (got ${kinds.join(", ") || "none"})`);
  if (
    "status" in rule &&
    (!Number.isInteger(rule.status) || rule.status < 100 || rule.status > 599)
  ) {
    throw new TypeError(
      `fault rule status must be an HTTP status code, got ${String(rule.status)}`,
    );
  }
  if ("delayMs" in rule && !(rule.delayMs >= 0))
    throw new TypeError("fault rule delayMs must be >= 0");
  if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times >= 0)) {
    throw new TypeError("fault rule times must be a non-negative integer");
  }
}

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
}

export class FaultInjector {
  private rules: ActiveRule[] = [];

  constructor(rules: FaultRule[] = []) {
    this.set(rules);
  }

  set(rules: FaultRule[]): void {
    for (const r of rules) assertValidFaultRule(r);
    this.rules = rules.map((rule) => ({ rule: { ...rule }, remaining: rule.times ?? Infinity }));
  }

  get active(): FaultRule[] {
    return this.rules.filter((r) => r.remaining > 0).map((r) => ({ ...r.rule }));
  }

  /**
   * Finds the first rule matching the operation and model and consumes one of its `times`.
   * `models` are the names the request can be known by (endpoint id and app prefix).
   */
  take(operation: FaultOperation, models: string[]): FaultRule | undefined {
    for (const active of this.rules) {
      if (active.remaining <= 0) continue;
      const op = active.rule.operation ?? "any";
      if (op !== "any" && op !== operation) continue;
      if (active.rule.model !== undefined && !models.includes(active.rule.model)) continue;
      active.remaining -= 1;
      return active.rule;
    }
    return undefined;
  }
}
