// envValue (src/utils/env.ts): one reading of the environment for every service and front end.
import { describe, expect, it } from "vitest";
import { envValue } from "../../src/utils/env.js";

describe("envValue", () => {
  it.each([
    ["unset", {}, undefined],
    ["empty", { X: "" }, undefined],
    ["blank", { X: " \t\n" }, undefined],
    ["padded", { X: "  http://127.0.0.1:8787\n" }, "http://127.0.0.1:8787"],
    ["plain", { X: "key-123" }, "key-123"],
  ])("%s", (_name, env, expected) => {
    expect(envValue("X", env as NodeJS.ProcessEnv)).toBe(expected);
  });
});
