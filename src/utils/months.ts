// The twelve month names, in calendar order: one list for the calendar example's app layer and
// the scripted LLM twin that writes about them.
export const MONTH_NAMES = Object.freeze([
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
] as const);

export type MonthName = (typeof MONTH_NAMES)[number];
