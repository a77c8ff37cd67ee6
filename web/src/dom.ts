// Small DOM helpers shared by the pages' views.

/** The page's element with this id; a missing one is a broken page, said plainly. */
export function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`The page has no #${id}`);
  return found as T;
}
