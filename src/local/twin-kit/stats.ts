// The counters every twin keeps of the requests it answers (behind each twin's stats()): how many,
// how many were refused for their Host or Origin, by operation, by status, unauthorized, faulted.
// Each twin's stats add what its work counts (images, completions, syntheses).

/** The request counters every twin's stats() reports. */
export interface TwinRequestStats<Operation extends string> {
  requests: number;
  /** Requests refused (403) for a foreign Host or Origin, before anything else ran (not in `requests`). */
  refused: number;
  byOperation: Partial<Record<Operation, number>>;
  /** Answers by status; "reset" for a dropped connection. */
  byStatus: Record<string, number>;
  unauthorized: number;
  faultsInjected: number;
}

/** Fresh request counters, all zero. */
export function newRequestCounters<Operation extends string>(): TwinRequestStats<Operation> {
  return {
    requests: 0,
    refused: 0,
    byOperation: {},
    byStatus: {},
    unauthorized: 0,
    faultsInjected: 0,
  };
}

/** A copy of the request counters for stats(): later requests do not change it. */
export function requestStats<Operation extends string>(
  counters: TwinRequestStats<Operation>,
): TwinRequestStats<Operation> {
  return {
    requests: counters.requests,
    refused: counters.refused,
    byOperation: { ...counters.byOperation },
    byStatus: { ...counters.byStatus },
    unauthorized: counters.unauthorized,
    faultsInjected: counters.faultsInjected,
  };
}
