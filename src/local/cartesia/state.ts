// What the handlers of the local Cartesia twin share: the speech synthesizer, the request checks'
// options, the simulated latency, the counters behind stats() and the log.
import type { SpeechSynthesizer } from "../../audio/synth/speech-synthesizer.js";
import type { TwinRequestStats } from "../twin-kit/stats.js";
import type { Operation } from "./routes.js";
import type { TtsRequestOptions } from "./tts-request.js";

/** What stats() reports: the requests (as every twin counts them), then the syntheses. */
export interface LocalCartesiaStats extends TwinRequestStats<Operation> {
  /** Completed syntheses (bodies sent whole). */
  syntheses: number;
  /** Transcript characters of the completed syntheses. */
  characters: number;
  /** Audio sent by the completed syntheses, in seconds. */
  audioSeconds: number;
  /** Time spent synthesizing (first to last chunk, completed syntheses), in ms. */
  synthesisMsTotal: number;
}

/** The counters the twin keeps (all of stats()). */
export type LocalCartesiaCounters = LocalCartesiaStats;

export interface LocalCartesiaState {
  readonly counters: LocalCartesiaCounters;
  readonly requestOptions: TtsRequestOptions;
  /** Wait before answering each synthesis (time to first byte), in ms. */
  readonly latencyMs: number;
  /** The engine, once found (espeak-ng is probed at start). */
  synthesizer(): Promise<SpeechSynthesizer>;
  /** Aborts when the twin begins to close: syntheses in flight stop. */
  readonly shutdown: AbortSignal;
  log(line: string): void;
}
