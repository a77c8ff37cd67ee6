// One-time DeprecationWarnings, through Node's process warnings (so --no-deprecation silences
// them).

const warned = new Set<string>();

export function warnDeprecatedOnce(code: string, message: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  process.emitWarning(message, { type: "DeprecationWarning", code });
}

/** For tests: forget which warnings were already given. */
export function resetDeprecationWarnings(): void {
  warned.clear();
}
