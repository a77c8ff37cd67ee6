export * from "./base.js";
export * from "./lifecycle.js";
export * from "./error.js";
export * from "./text.js";
export * from "./image.js";
export * from "./metrics.js";
export * from "./settings.js";
export * from "./progress.js";
