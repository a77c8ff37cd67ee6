// Public API of the local OpenAI twin (package export "pipecat-ts/local-openai"): a scripted LLM
// behind OpenAI's Chat Completions and Models routes, for offline runs and tests.
export { createLocalOpenAIServer, startLocalOpenAIServer } from "./server.js";
export type {
  LocalOpenAIServer,
  LocalOpenAIServerHandle,
  LocalOpenAIServerOptions,
} from "./server.js";
export { createLocalOpenAIApp, DEFAULT_MODEL_ALIASES } from "./app.js";
export { LOCAL_OPENAI_MODELS } from "./handlers.js";
export type {
  LocalOpenAIApp,
  LocalOpenAIAppOptions,
  LocalOpenAIControls,
  LocalOpenAIFaultOperation,
  LocalOpenAIFaultRule,
  LocalOpenAIOperation,
  LocalOpenAIRecordedRequest,
  LocalOpenAIStats,
} from "./app.js";
export { SYSTEM_FINGERPRINT } from "./completion.js";
export {
  SCRIPTED_MODEL_ID,
  calendarSentence,
  findCalendarMonth,
  scriptedReply,
  type ScriptedReply,
} from "./scripted-llm.js";
export { MONTHS, type MonthName } from "./calendar-vocabulary.js";
export { splitIntoTokens } from "./tokens.js";
