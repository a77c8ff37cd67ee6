// Every error class of the package: its name, stable code, category and message, and instanceof
// through the Symbol.for() brands (within one copy; test/package/error-identity.test.ts checks two
// copies).
import { describe, expect, it } from "vitest";
import { ImageGenCancelledError } from "../../src/services/image-service.js";
import { BackendConfigError } from "../../src/app/backend.js";
import { AudioFormatError } from "../../src/audio/errors.js";
import { SpeechSynthesisError } from "../../src/audio/synth/speech-synthesizer.js";
import * as packageRoot from "../../src/index.js";
import {
  CartesiaApiError,
  CartesiaNetworkError,
  CartesiaTimeoutError,
} from "../../src/services/cartesia/errors.js";
import { TTSNoAudioError } from "../../src/services/tts-service.js";
import { ImageDecodeError } from "../../src/services/images/decode.js";
import { ImageDownloadError } from "../../src/services/images/download.js";
import { ServerSentEventsError } from "../../src/utils/sse.js";
import {
  OpenAIApiError,
  OpenAINetworkError,
  OpenAIResponseError,
  OpenAITimeoutError,
} from "../../src/services/openai/errors.js";
import {
  FalApiError,
  FalNetworkError,
  FalResponseError,
  FalTimeoutError,
} from "../../src/services/fal/errors.js";
import {
  type ErrorCategory,
  PipecatError,
  SettingsValidationError,
  brandErrorClass,
  causeChain,
  classifyCause,
  errorCodeOf,
} from "../../src/utils/errors.js";

type ErrorClass = abstract new (...args: never[]) => PipecatError;

interface Scenario {
  errorClass: ErrorClass;
  construct: () => PipecatError;
  name: string;
  code: string;
  category: ErrorCategory;
  message: RegExp;
}

const SCENARIOS: Scenario[] = [
  {
    errorClass: PipecatError,
    construct: () => new PipecatError("something broke"),
    name: "PipecatError",
    code: "PIPECAT_ERROR",
    category: "unknown",
    message: /^something broke$/,
  },
  {
    errorClass: SettingsValidationError,
    construct: () => new SettingsValidationError("numImages", 0, "an integer from 1 to 4"),
    name: "SettingsValidationError",
    code: "SETTINGS_VALIDATION_ERROR",
    category: "validation",
    message: /^Invalid value for "numImages": 0\. Allowed: an integer from 1 to 4\.$/,
  },
  {
    errorClass: FalApiError,
    construct: () =>
      new FalApiError({
        status: 422,
        operation: "run",
        detail: [{ loc: ["body", "prompt"], msg: "field required", type: "missing" }],
      }),
    name: "FalApiError",
    code: "FAL_API_ERROR",
    category: "validation",
    message: /^fal run failed with HTTP 422: invalid input \(prompt: field required\)$/,
  },
  {
    errorClass: FalResponseError,
    construct: () => new FalResponseError("fal run answered without images"),
    name: "FalResponseError",
    code: "FAL_RESPONSE_ERROR",
    category: "server",
    message: /^fal run answered without images$/,
  },
  {
    errorClass: FalTimeoutError,
    construct: () => new FalTimeoutError("fal status", 250),
    name: "FalTimeoutError",
    code: "FAL_TIMEOUT_ERROR",
    category: "timeout",
    message: /^fal status timed out after 250 ms$/,
  },
  {
    errorClass: FalNetworkError,
    construct: () =>
      new FalNetworkError("fal submit failed: network error (ECONNREFUSED)", { notSent: true }),
    name: "FalNetworkError",
    code: "FAL_NETWORK_ERROR",
    category: "network",
    message: /^fal submit failed: network error \(ECONNREFUSED\)$/,
  },
  {
    errorClass: ImageDownloadError,
    construct: () =>
      new ImageDownloadError("Image download failed with HTTP 404 (http://x/a.png)", {
        url: "http://x/a.png",
        status: 404,
        category: "validation",
      }),
    name: "ImageDownloadError",
    code: "IMAGE_DOWNLOAD_ERROR",
    category: "validation",
    message: /^Image download failed with HTTP 404/,
  },
  {
    errorClass: ImageDecodeError,
    construct: () => new ImageDecodeError("Image could not be decoded", new Error("bad PNG")),
    name: "ImageDecodeError",
    code: "IMAGE_DECODE_ERROR",
    category: "server",
    message: /^Image could not be decoded$/,
  },
  {
    errorClass: ImageGenCancelledError,
    construct: () => new ImageGenCancelledError(),
    name: "ImageGenCancelledError",
    code: "IMAGE_GEN_CANCELLED_ERROR",
    category: "cancelled",
    message: /^Image generation was cancelled$/,
  },
  {
    errorClass: BackendConfigError,
    construct: () => new BackendConfigError("fal", "needs a fal API key", ["auto", "local"]),
    name: "BackendConfigError",
    code: "BACKEND_CONFIG_ERROR",
    category: "validation",
    message: /fal/,
  },
  {
    errorClass: AudioFormatError,
    construct: () => new AudioFormatError("bitsPerSample", 24, "16"),
    name: "AudioFormatError",
    code: "AUDIO_FORMAT_ERROR",
    category: "validation",
    message: /^Unsupported audio: "bitsPerSample" is 24\. Allowed: 16\.$/,
  },
  {
    errorClass: SpeechSynthesisError,
    construct: () => new SpeechSynthesisError("espeak-ng ran too long", "timeout"),
    name: "SpeechSynthesisError",
    code: "SPEECH_SYNTHESIS_ERROR",
    category: "timeout",
    message: /^espeak-ng ran too long$/,
  },
  {
    errorClass: TTSNoAudioError,
    construct: () => new TTSNoAudioError("Hello."),
    name: "TTSNoAudioError",
    code: "TTS_NO_AUDIO_ERROR",
    category: "server",
    message: /^TTS produced no audio for "Hello\."$/,
  },
  {
    errorClass: CartesiaApiError,
    construct: () =>
      new CartesiaApiError({
        status: 429,
        body: {
          error_code: "concurrency_limited",
          title: "Too many concurrent requests",
          message: "You have exceeded your plan's concurrency limit.",
          request_id: "550e8400",
        },
      }),
    name: "CartesiaApiError",
    code: "CARTESIA_API_ERROR",
    category: "rate_limit",
    message:
      /^Cartesia tts\/bytes failed with HTTP 429: Too many concurrent requests: You have exceeded your plan's concurrency limit\. \(request 550e8400\)$/,
  },
  {
    errorClass: CartesiaTimeoutError,
    construct: () => new CartesiaTimeoutError(150),
    name: "CartesiaTimeoutError",
    code: "CARTESIA_TIMEOUT_ERROR",
    category: "timeout",
    message: /^Cartesia tts\/bytes timed out after 150 ms$/,
  },
  {
    errorClass: CartesiaNetworkError,
    construct: () =>
      new CartesiaNetworkError("Cartesia tts/bytes failed: network error (ECONNRESET)", {
        notSent: false,
        midStream: false,
      }),
    name: "CartesiaNetworkError",
    code: "CARTESIA_NETWORK_ERROR",
    category: "network",
    message: /^Cartesia tts\/bytes failed: network error \(ECONNRESET\)$/,
  },
  {
    errorClass: ServerSentEventsError,
    construct: () =>
      new ServerSentEventsError("An event of the stream is longer than 10 characters"),
    name: "ServerSentEventsError",
    code: "SERVER_SENT_EVENTS_ERROR",
    category: "server",
    message: /^An event of the stream is longer than 10 characters$/,
  },
  {
    errorClass: OpenAIApiError,
    construct: () =>
      new OpenAIApiError({
        status: 400,
        message: "Invalid value for 'temperature'.",
        type: "invalid_request_error",
        code: "invalid_value",
        param: "temperature",
        requestId: "req_1",
      }),
    name: "OpenAIApiError",
    code: "OPENAI_API_ERROR",
    category: "validation",
    message:
      /^OpenAI chat completion failed with HTTP 400: Invalid value for 'temperature'\. \(type invalid_request_error, code invalid_value, param temperature, request req_1\)$/,
  },
  {
    errorClass: OpenAINetworkError,
    construct: () =>
      new OpenAINetworkError(
        "OpenAI chat completion request failed: network error (ECONNREFUSED)",
        {
          notSent: true,
        },
      ),
    name: "OpenAINetworkError",
    code: "OPENAI_NETWORK_ERROR",
    category: "network",
    message: /^OpenAI chat completion request failed: network error \(ECONNREFUSED\)$/,
  },
  {
    errorClass: OpenAITimeoutError,
    construct: () => new OpenAITimeoutError("OpenAI chat completion stream", 100),
    name: "OpenAITimeoutError",
    code: "OPENAI_TIMEOUT_ERROR",
    category: "timeout",
    message: /^OpenAI chat completion stream: nothing received for 100 ms$/,
  },
  {
    errorClass: OpenAIResponseError,
    construct: () =>
      new OpenAIResponseError("OpenAI chat completion stream sent an event that is not JSON"),
    name: "OpenAIResponseError",
    code: "OPENAI_RESPONSE_ERROR",
    category: "server",
    message: /^OpenAI chat completion stream sent an event that is not JSON$/,
  },
];

describe("error classes", () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))(
    "%s: name, code, category and message",
    (_name, scenario) => {
      const error = scenario.construct();
      expect(error.name).toBe(scenario.name);
      expect(error.code).toBe(scenario.code);
      expect(error.category).toBe(scenario.category);
      expect(error.message).toMatch(scenario.message);
      expect(error).toBeInstanceOf(Error);
      expect(error).toBeInstanceOf(PipecatError);
      expect(error).toBeInstanceOf(scenario.errorClass);
    },
  );

  it("every error class the package exports is branded and listed here", () => {
    const exported = Object.entries(packageRoot).filter(
      ([, value]) =>
        typeof value === "function" &&
        (value === PipecatError || Object.prototype.isPrototypeOf.call(PipecatError, value)),
    );
    for (const [name, errorClass] of exported) {
      const brand = Symbol.for(`pipecat-ts.error.${name}`);
      expect(Object.hasOwn((errorClass as { prototype: object }).prototype, brand), name).toBe(
        true,
      );
      expect(
        SCENARIOS.some((s) => s.errorClass === errorClass),
        name,
      ).toBe(true);
    }
  });

  it("every class has its own code", () => {
    expect(new Set(SCENARIOS.map((s) => s.code)).size).toBe(SCENARIOS.length);
  });

  it("an error is an instance of its own class and PipecatError only, not of its siblings", () => {
    for (const scenario of SCENARIOS) {
      const error = scenario.construct();
      for (const other of SCENARIOS) {
        const expected = other.errorClass === scenario.errorClass || other.name === "PipecatError";
        expect(error instanceof other.errorClass, `${scenario.name} instanceof ${other.name}`).toBe(
          expected,
        );
      }
    }
  });

  it("unrelated values are not instances of any class", () => {
    const impostor = { name: "FalApiError", code: "FAL_API_ERROR", message: "fake", status: 500 };
    for (const value of [new Error("x"), new TypeError("fetch failed"), impostor, null, "x", 1]) {
      for (const scenario of SCENARIOS) expect(value instanceof scenario.errorClass).toBe(false);
    }
  });

  it("an app's own subclass: instanceof by prototype, the ancestors' brands and code inherited", () => {
    class QuotaError extends FalApiError {}
    const mine = new QuotaError({ status: 402, operation: "run" });
    expect(mine).toBeInstanceOf(QuotaError);
    expect(mine).toBeInstanceOf(FalApiError);
    expect(mine).toBeInstanceOf(PipecatError);
    expect(mine).not.toBeInstanceOf(FalNetworkError);
    expect(mine.name).toBe("QuotaError");
    expect(mine.code).toBe("FAL_API_ERROR");
    expect(new FalApiError({ status: 402, operation: "run" })).not.toBeInstanceOf(QuotaError);
  });

  it("a branded subclass of a subclass keeps the whole chain", () => {
    class TestOnlyError extends FalNetworkError {
      static {
        brandErrorClass(TestOnlyError, "TestOnlyError", "TEST_ONLY_ERROR");
      }
    }
    const error = new TestOnlyError("x", { notSent: false });
    expect(error.code).toBe("TEST_ONLY_ERROR");
    expect(error).toBeInstanceOf(FalNetworkError);
    expect(error).toBeInstanceOf(PipecatError);
    expect(new FalNetworkError("y", { notSent: false })).not.toBeInstanceOf(TestOnlyError);
  });
});

describe("cause chains", () => {
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), {
    code: "ECONNREFUSED",
  });
  const fetchFailed = new TypeError("fetch failed", { cause: refused });

  it("causeChain walks down `cause`, outermost first, and stops on cycles", () => {
    expect([...causeChain(fetchFailed)]).toEqual([fetchFailed, refused]);
    const loop: { cause?: unknown } = {};
    loop.cause = loop;
    expect([...causeChain(loop)]).toHaveLength(5);
    expect([...causeChain("not an object")]).toEqual([]);
  });

  it("errorCodeOf finds the first code down the chain", () => {
    expect(errorCodeOf(fetchFailed)).toBe("ECONNREFUSED");
    expect(errorCodeOf(new FalTimeoutError("fal run", 1))).toBe("FAL_TIMEOUT_ERROR");
    expect(errorCodeOf(new Error("no code"))).toBeUndefined();
    expect(errorCodeOf(undefined)).toBeUndefined();
  });

  it("classifyCause: the outermost error that says something wins; fetch failed only as a last resort", () => {
    expect(classifyCause(fetchFailed)).toBe("network");
    expect(classifyCause(new TypeError("fetch failed"))).toBe("network");
    const gatewayTimeout = Object.assign(new Error("upstream"), { status: 504 });
    expect(classifyCause(new TypeError("fetch failed", { cause: gatewayTimeout }))).toBe("server");
    expect(
      classifyCause(
        new Error("wrapped", { cause: new FalApiError({ status: 401, operation: "run" }) }),
      ),
    ).toBe("authentication");
    expect(classifyCause(new Error("plain"))).toBe("unknown");
  });
});
