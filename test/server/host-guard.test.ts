// Host and Origin checks of every server we start (DNS rebinding and cross-site pages).
import { describe, expect, it } from "vitest";
import {
  checkHostAndOrigin,
  createHostPolicy,
  exposureWarning,
  isLoopbackAddress,
} from "../../src/server/host-guard.js";
import { SettingsValidationError } from "../../src/utils/errors.js";

const loopback = createHostPolicy({ bindAddress: "127.0.0.1", port: 8090 });

describe("host guard on loopback", () => {
  it.each([
    ["127.0.0.1:8090", undefined],
    ["localhost:8090", undefined],
    ["LOCALHOST:8090", undefined],
    ["[::1]:8090", undefined],
    ["127.0.0.1:8090", "http://127.0.0.1:8090"],
    ["127.0.0.1:8090", "http://localhost:8090"],
  ])("accepts Host %s with Origin %s", (host, origin) => {
    expect(checkHostAndOrigin(loopback, { host, origin })).toEqual({ ok: true });
  });

  it.each([
    ["attacker.example:8090", undefined, /Host "attacker.example:8090"/],
    ["attacker.example:8090", "http://attacker.example:8090", /Host/],
    ["127.0.0.1:9999", undefined, /Host/],
    ["127.0.0.1", undefined, /Host/],
    ["127.0.0.2:8090", undefined, /Host/],
    ["", undefined, /Host header is required/],
    [undefined, undefined, /Host header is required/],
    ["127.0.0.1:8090", "http://attacker.example:8090", /Origin/],
    ["127.0.0.1:8090", "null", /Origin/],
    ["127.0.0.1:8090", "file://", /Origin/],
    ["127.0.0.1:8090", "http://127.0.0.1:9999", /Origin/],
    ["127.0.0.1:8090", "http://127.0.0.1", /Origin/],
    ["127.0.0.1:8090 extra", undefined, /Host/],
    ["user@127.0.0.1:8090", undefined, /Host/],
  ])("refuses Host %s with Origin %s", (host, origin, reason) => {
    const verdict = checkHostAndOrigin(loopback, { host, origin });
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) {
      expect(verdict.status).toBe(403);
      expect(verdict.reason).toMatch(reason);
    }
  });
});

describe("host guard beyond loopback", () => {
  it("needs an explicit allow-list, named in the error", () => {
    expect(() => createHostPolicy({ bindAddress: "0.0.0.0", port: 80 })).toThrow(
      SettingsValidationError,
    );
    expect(() => createHostPolicy({ bindAddress: "0.0.0.0", port: 80 })).toThrow(/allowedHosts/);
    expect(() =>
      createHostPolicy({ bindAddress: "0.0.0.0", port: 80, allowedHosts: ["a/b"] }),
    ).toThrow(/allowedHosts/);
  });

  it.each([
    ["a list in one string", "a.local,b.local"],
    ["a name with a port", "box.local:8090"],
    ["a path", "a/b"],
    ["white space", "my box"],
    ["a wildcard inside a name", "*.local"],
    ["an empty name", " "],
    ["two dots in a row", "box..local"],
  ])("refuses %s (%j), naming allowedHosts, the value and what is allowed", (_what, name) => {
    const make = () => createHostPolicy({ bindAddress: "0.0.0.0", port: 80, allowedHosts: [name] });
    expect(make).toThrow(SettingsValidationError);
    expect(make).toThrow(/allowedHosts.*one a value, no port/);
  });

  it("accepts DNS names, IPv4 and IPv6 addresses (bracketed or not)", () => {
    for (const name of ["box.local", "my_box", "10.0.0.7", "fe80::1", "[fe80::1]", "BOX.LOCAL"])
      expect(() =>
        createHostPolicy({ bindAddress: "0.0.0.0", port: 80, allowedHosts: [name] }),
      ).not.toThrow();
  });

  it("accepts the listed names and loopback, on the right port", () => {
    const policy = createHostPolicy({
      bindAddress: "0.0.0.0",
      port: 8090,
      allowedHosts: ["box.local", "192.168.1.5"],
    });
    expect(checkHostAndOrigin(policy, { host: "box.local:8090" }).ok).toBe(true);
    expect(checkHostAndOrigin(policy, { host: "192.168.1.5:8090" }).ok).toBe(true);
    expect(checkHostAndOrigin(policy, { host: "localhost:8090" }).ok).toBe(true);
    expect(checkHostAndOrigin(policy, { host: "other.local:8090" }).ok).toBe(false);
    expect(
      checkHostAndOrigin(policy, { host: "box.local:8090", origin: "https://evil.example" }).ok,
    ).toBe(false);
  });

  it('"*" accepts any name, still on the right port', () => {
    const policy = createHostPolicy({ bindAddress: "0.0.0.0", port: 80, allowedHosts: ["*"] });
    expect(checkHostAndOrigin(policy, { host: "anything.example" }).ok).toBe(true);
    expect(checkHostAndOrigin(policy, { host: "anything.example:81" }).ok).toBe(false);
  });

  it("says in one line who can spend the keys", () => {
    expect(exposureWarning("0.0.0.0", 8090)).toBe(
      "Warning: listening on 0.0.0.0:8090: anyone who can reach this port can use your API keys.",
    );
  });
});

describe("isLoopbackAddress", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.8.9.10", true],
    ["::1", true],
    ["[::1]", true],
    ["::ffff:127.0.0.1", true],
    ["localhost", true],
    ["0.0.0.0", false],
    ["::", false],
    ["192.168.1.5", false],
  ])("%s → %s", (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });
});
