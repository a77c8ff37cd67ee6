// Fault injection for the local fal server: fal's operations as fault-rule targets. The rules,
// their checks and the injector are the server kit's (src/server/faults.ts).
import type { FaultAction, FaultRule as ServerFaultRule } from "../../server/faults.js";
import type { Operation } from "./routes.js";

export type { FaultAction };

/** The operations a fault rule can target. `upload` covers the storage initiate call and the bytes PUT. */
export type FaultOperation =
  | "run"
  | "submit"
  | "status"
  | "stream"
  | "result"
  | "cancel"
  | "file"
  | "upload"
  | "any";

/** A fault rule of the local fal server; `model` is an endpoint id or an app prefix. */
export type FaultRule = ServerFaultRule<Exclude<FaultOperation, "any">>;

/** The fault operation a routed request counts as (undefined: never faulted). */
export function faultOperation(op: Operation): Exclude<FaultOperation, "any"> | undefined {
  switch (op) {
    case "run":
    case "submit":
    case "status":
    case "stream":
    case "result":
    case "cancel":
    case "file":
    case "upload":
      return op;
    case "upload-initiate":
    case "upload-multipart":
      return "upload";
    default:
      return undefined;
  }
}
