// What a test or a tool can see and change of a running twin, the same four calls on each: fault
// rules, statistics, and the recorded requests. A listening server hands them on, bound to its app.

/** The controls every twin has. */
export interface TwinControls<Rule, Stats, Entry> {
  /** Replaces the fault rules (each is checked first). */
  setFaults(rules: Rule[]): void;
  stats(): Stats;
  /** Copies of the recorded requests, oldest first. */
  requests(): Entry[];
  /** Forgets recorded requests. */
  clearRequests(): void;
}

/** A twin's controls, bound to it (so they can be spread into a server's handle). */
export function controlsOf<Rule, Stats, Entry>(
  app: TwinControls<Rule, Stats, Entry>,
): TwinControls<Rule, Stats, Entry> {
  return {
    setFaults: (rules) => app.setFaults(rules),
    stats: () => app.stats(),
    requests: () => app.requests(),
    clearRequests: () => app.clearRequests(),
  };
}
