// Fault injection for the local Cartesia twin: its operations as fault-rule targets (the rules,
// their checks and the injector are the server kit's, src/server/faults.ts). A rule's `model`
// matches a synthesis's `model_id`.
import type { FaultAction, FaultRule as ServerFaultRule } from "../../server/faults.js";
import type { Operation } from "./routes.js";

export type { FaultAction };

/** The operations a fault rule can target: "tts" (POST /tts/bytes), "voices" (GET /voices[/{id}]). */
export type FaultOperation = "tts" | "voices" | "any";

/** A fault rule of the local Cartesia twin. */
export type FaultRule = ServerFaultRule<Exclude<FaultOperation, "any">>;

/** The fault operation a routed request counts as (undefined: never faulted). */
export function faultOperation(operation: Operation): Exclude<FaultOperation, "any"> | undefined {
  if (operation === "tts") return "tts";
  if (operation === "voices" || operation === "voice") return "voices";
  return undefined;
}
