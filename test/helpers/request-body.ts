// The body of a request a fake server received: read whole, parsed as JSON when it is JSON. The
// fakes (fal, OpenAI, Cartesia) record it so a test can assert what the client sent.
import type { IncomingMessage } from "node:http";

/** The body's text (UTF-8), read to the end. */
export async function readBodyText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The body parsed as JSON; its text when it is not JSON; undefined when it is empty. */
export async function readBody(req: IncomingMessage): Promise<unknown> {
  const text = await readBodyText(req);
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text; // kept as sent, so a test can see what was not JSON
  }
}
