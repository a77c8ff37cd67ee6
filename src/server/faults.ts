// Fault rules for local twins: rules that make matching requests fail, slow down, hang, or answer
// with corrupt bodies. Each twin names its own operations (fal: "run", "submit", …); a rule
// matches one operation (or "any") and optionally a model. Off unless rules are given.

export type FaultAction =
  /** Answer with this HTTP status instead of handling the request (the twin picks the default body). */
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** Wait this long, then handle the request normally. */
  | { delayMs: number }
  /** Never answer (until the client gives up or the server closes). */
  | { hang: true }
  /** Handle normally, then send a body cut in half (invalid JSON) with the normal status. */
  | { brokenJson: true }
  /** Handle normally, announce the full Content-Length, send half the body, then drop the connection. */
  | { truncateBody: true }
  /** Answer 200 text/html bytes instead of the resource (meant for file downloads). */
  | { notAnImage: true }
  /** Reset the TCP connection without answering. */
  | { resetConnection: true };

/** A fault rule of a twin whose operations are `Operation`. */
export type FaultRule<Operation extends string = string> = FaultAction & {
  /** Which operation to affect; default "any". */
  operation?: Operation | "any";
  /** Only requests for this model (the twin says which names a request is known by). */
  model?: string;
  /** Apply to the first N matching requests only, then stop matching. */
  times?: number;
};

const ACTIONS = [
  "status",
  "delayMs",
  "hang",
  "brokenJson",
  "truncateBody",
  "notAnImage",
  "resetConnection",
] as const;

/** Checks a rule before it is installed; throws a readable error for nonsense rules. */
export function assertValidFaultRule(rule: FaultRule): void {
  const kinds = ACTIONS.filter((k) => (rule as Record<string, unknown>)[k] !== undefined);
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

interface ActiveRule<Operation extends string> {
  rule: FaultRule<Operation>;
  remaining: number;
}

/** Holds the installed rules and hands out the one that applies to a request. */
export class FaultInjector<Operation extends string = string> {
  #rules: ActiveRule<Operation>[] = [];

  constructor(rules: readonly FaultRule<Operation>[] = []) {
    this.set(rules);
  }

  /** Replaces the rules (each is checked first; on error the old rules stay). */
  set(rules: readonly FaultRule<Operation>[]): void {
    for (const r of rules) assertValidFaultRule(r);
    this.#rules = rules.map((rule) => ({ rule: { ...rule }, remaining: rule.times ?? Infinity }));
  }

  /** The rules that can still match. */
  get active(): FaultRule<Operation>[] {
    return this.#rules.filter((r) => r.remaining > 0).map((r) => ({ ...r.rule }));
  }

  /** Whether any rule may still fire (callers can skip working out what a request counts as). */
  get armed(): boolean {
    return this.#rules.some((active) => active.remaining > 0);
  }

  /**
   * Finds the first rule matching the operation and model and consumes one of its `times`.
   * `models` are the names the request can be known by (fal: endpoint id and app prefix).
   */
  take(operation: Operation, models: readonly string[]): FaultRule<Operation> | undefined {
    for (const active of this.#rules) {
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
