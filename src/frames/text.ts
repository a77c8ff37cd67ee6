// Text frames: what LLMs stream, what users say, and what image and speech services consume.
import { DataFrame } from "./base.js";

export class TextFrame extends DataFrame {
  skipTts: boolean | undefined = undefined;
  includesInterFrameSpaces = false;
  appendToContext = true;
  constructor(readonly text: string) {
    super();
  }
  override toString(): string {
    return `${this.name}(text: ${JSON.stringify(this.text)})`;
  }
}

/** Text streamed by an LLM. */
export class LLMTextFrame extends TextFrame {
  constructor(text: string) {
    super(text);
    this.includesInterFrameSpaces = true;
  }
}

/** A final transcription of what a user said. */
export class TranscriptionFrame extends TextFrame {
  constructor(
    text: string,
    readonly userId = "",
    readonly timestamp = new Date().toISOString(),
  ) {
    super(text);
  }
}

/** A partial transcription; image services ignore these (Pipecat generates from them). */
export class InterimTranscriptionFrame extends TextFrame {
  constructor(
    text: string,
    readonly userId = "",
    readonly timestamp = new Date().toISOString(),
  ) {
    super(text);
  }
}
