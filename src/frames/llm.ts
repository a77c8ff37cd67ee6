// LLM frames and the context an LLM reads (Pipecat's LLMContext, LLMContextFrame, ...).
// Messages are in OpenAI's Chat Completions format, as in Pipecat's universal context.
import { ControlFrame, DataFrame, Frame } from "./base.js";

/** One message of the conversation, in OpenAI's format. */
export interface LLMContextMessage {
  role: "system" | "developer" | "user" | "assistant" | "tool";
  /** Text, or OpenAI content parts. */
  content?: string | Array<Record<string, unknown>> | null;
  name?: string;
  tool_calls?: Array<Record<string, unknown>>;
  tool_call_id?: string;
  [extra: string]: unknown;
}

/** A tool the LLM may call, in OpenAI's format (`{ type: "function", function: {...} }`). */
export type LLMTool = Record<string, unknown>;

export interface LLMContextInit {
  tools?: LLMTool[];
  /** "auto", "none", "required" or a named tool choice. */
  toolChoice?: string | Record<string, unknown>;
}

/** The conversation an LLM service reads: messages, and the tools it may call. */
export class LLMContext {
  #messages: LLMContextMessage[];
  tools: LLMTool[] | undefined;
  toolChoice: string | Record<string, unknown> | undefined;

  constructor(messages: LLMContextMessage[] = [], init: LLMContextInit = {}) {
    this.#messages = [...messages];
    this.tools = init.tools;
    this.toolChoice = init.toolChoice;
  }

  /** The messages, oldest first (a copy: change them through the methods below). */
  getMessages(): LLMContextMessage[] {
    return [...this.#messages];
  }

  get messageCount(): number {
    return this.#messages.length;
  }

  addMessage(message: LLMContextMessage): void {
    this.#messages.push(message);
  }

  addMessages(messages: readonly LLMContextMessage[]): void {
    this.#messages.push(...messages);
  }

  setMessages(messages: readonly LLMContextMessage[]): void {
    this.#messages = [...messages];
  }
}

/** Asks an LLM service to answer the context it carries. A bare Frame, as in Pipecat. */
export class LLMContextFrame extends Frame {
  constructor(readonly context: LLMContext) {
    super();
  }
}

/** Asks the LLM to run on the current context. */
export class LLMRunFrame extends DataFrame {}

/** Appends messages to the current context; with `runLlm`, the LLM answers afterwards. */
export class LLMMessagesAppendFrame extends DataFrame {
  constructor(
    readonly messages: LLMContextMessage[],
    readonly runLlm?: boolean,
  ) {
    super();
  }
}

/** Replaces the current context's messages; with `runLlm`, the LLM answers afterwards. */
export class LLMMessagesUpdateFrame extends DataFrame {
  constructor(
    readonly messages: LLMContextMessage[],
    readonly runLlm?: boolean,
  ) {
    super();
  }
}

/** Brackets one LLM reply. */
export class LLMFullResponseStartFrame extends ControlFrame {}
export class LLMFullResponseEndFrame extends ControlFrame {}
