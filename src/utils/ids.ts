// Object ids shared by frames and processors, like Pipecat's obj_id()/obj_count():
// one global increasing counter for ids, and a per-class-name counter for readable names.
let lastId = 0;
const countsByName = new Map<string, number>();

/** The next globally unique object id. */
export function nextObjectId(): number {
  lastId += 1;
  return lastId;
}

/** `"<className>#<n>"`, where n counts from 0 for each class name. */
export function nextObjectName(className: string): string {
  const n = countsByName.get(className) ?? 0;
  countsByName.set(className, n + 1);
  return `${className}#${n}`;
}
