// A whole HTTP/1.1 answer written straight onto a socket, for the places that answer before (or
// instead of) node:http's response machinery: a request node:http refused (400, 408, 431), an
// upgrade refused by the host guard or a connection limit. The connection is closed after it.
import type { Duplex } from "node:stream";

/**
 * Ends `socket` with `HTTP/1.1 <status> <statusText>`, the body's type and length, and
 * `Connection: close`.
 */
export function endWithRawAnswer(
  socket: Duplex,
  status: number,
  statusText: string,
  contentType: string,
  body: string,
): void {
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
