// How the local Cartesia twin answers errors: Cartesia's error object (API 2026-03-01 and later),
// `{ error_code, title, message, request_id }`, as JSON. The official SDK makes its error message
// from `message`; Pipecat's service quotes the body.
import { randomUUID } from "node:crypto";
import { jsonResponse } from "../../server/response.js";

/** The error codes the twin answers with. */
export type CartesiaErrorCode =
  | "invalid_request"
  | "unsupported"
  | "voice_not_found"
  | "not_found"
  | "method_not_allowed"
  | "unauthorized"
  | "forbidden"
  | "payload_too_large"
  | "synthesis_failed"
  | "service_unavailable"
  | "injected_fault"
  | "internal_error";

const TITLES: Readonly<Record<CartesiaErrorCode, string>> = {
  invalid_request: "Invalid request",
  unsupported: "Not supported by the local twin",
  voice_not_found: "Voice not found",
  not_found: "Not found",
  method_not_allowed: "Method not allowed",
  unauthorized: "Unauthorized",
  forbidden: "Forbidden",
  payload_too_large: "Payload too large",
  synthesis_failed: "Synthesis failed",
  service_unavailable: "Service unavailable",
  injected_fault: "Injected fault",
  internal_error: "Internal server error",
};

/** A Cartesia error object with this status, code and message (a fresh request id). */
export function cartesiaError(
  status: number,
  code: CartesiaErrorCode,
  message: string,
  headers?: HeadersInit,
): Response {
  return jsonResponse(
    status,
    { error_code: code, title: TITLES[code], message, request_id: randomUUID() },
    headers,
  );
}
