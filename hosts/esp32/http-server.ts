/*
 * The HTTP server on the device: the Moddable SDK's `http` Server (modules/network/http/http.js, over the lwIP `socket`
 * module modules/network/socket/lwip/modSocket.c), whose callback receives the request line, headers and body as
 * messages, answering from HttpRoutes (hosts/esp32/http-routes.ts). The class is passed in, so the same code runs on
 * the fake in hosts/sim/esp32-fakes.ts.
 *
 * What the SDK does, and what this adapter does about it:
 *  - Responses. A response body given whole is written with one socket.write (http.js line 724), and lwIP's write throws
 *    "can't write all data" when the bytes exceed the send buffer's free space (modSocket.c line 755; the buffer is
 *    CONFIG_LWIP_TCP_SND_BUF_DEFAULT = 8,192 B in the SDK's build/devices/esp32/xsProj-esp32/sdkconfig.defaults line 45).
 *    So bodies up to WHOLE_BODY_MAX bytes (which fit the free buffer of a fresh connection with the headers) are given
 *    whole as an ArrayBuffer, with the one Content-Length the SDK adds from its byteLength (http.js adds it for every
 *    body not streamed, line 692: no Content-Length header of ours, or the response carries two). Larger bodies are streamed:
 *    `body: true` without a Content-Length makes the SDK send them chunked and ask for each piece with
 *    Server.responseFragment(count), count being the free send space less the chunk framing; the pieces are views of the
 *    UTF-8 bytes, or of the flash resource for a status page file (the socket writes from any readable buffer). JSON
 *    documents (modules/forwarding/status-stream.ts) are not text: they are written piece by piece into the server's one
 *    JsonWriter of WHOLE_BODY_MAX bytes, and each fragment is sent from it as the SDK asks (the SDK writes a fragment to
 *    the socket before it asks again, so one buffer serves every response); a document that ends within the first fill
 *    goes out whole (a copy: the SDK may write a whole body later), and bytes a fragment could not take wait in a copy.
 *    (Streaming with a Content-Length would leave the SDK waiting for one more acknowledgement after the
 *    last piece; chunked ends with its own terminator, whose acknowledgement closes the connection.)
 *    A fragment of length 0 ends the body for the SDK, so a piece is never empty while bytes remain; the SDK asks only
 *    from its writable event, which lwIP raises when acknowledgements free send space (whole segments in practice).
 *  - Requests. The SDK reads `content-length` with parseInt (http.js line 601) and, once the headers are in, reads
 *    a body of that length. This adapter decides at Server.headersComplete, before any body byte is read: only a
 *    PUT/POST to /api/site may have a body, and only when the token passes HttpRoutes.authorize (constant time,
 *    rate-limited), Content-Length is present and all digits (RFC 9110 §8.6: "99999999x" is refused, not read as
 *    99999999), and the body fits (bodyLimit). Any other request has its body left unread: the adapter clears the
 *    request's `total` in that callback, which the SDK checks right after it (lines 552–566), so it answers at once; the connection is
 *    closed after the answer (the SDK always sends "connection: close").
 *  - Body limit: the smaller of SITE_MAX_BYTES (what NVS can store: hosts/esp32/site-store.ts) and freeHeap() /
 *    BODY_HEAP_FACTOR. A body of n bytes lives on the XS chunk heap about four times while it is handled: the SDK's
 *    received pieces, their join, the parsed JSON and the checker's work (each about n). Past it: 413. One body at a
 *    time: a second site upload while one is being received gets 503 (the budget is for one); the slot is freed when
 *    the answer is prepared or the connection ends (Server.error, Server.responseComplete).
 */
import { JsonWriter } from "../../modules/forwarding/json-writer";
import { PIECE_MAX, type JsonPieces } from "../../modules/forwarding/status-stream";
import { HttpRoutes, type HttpAnswer } from "./http-routes";
import { SITE_MAX_BYTES } from "./site-store";
import { utf8 } from "./utf8";

/** Bodies at most this long are handed to the SDK whole (send buffer 8,192 B less headers and margin). */
export const WHOLE_BODY_MAX = 4096;
/** A request body costs about this many times its length on the XS heap while it is handled. */
export const BODY_HEAP_FACTOR = 4;

/** The SDK's http Server as this adapter uses it (the message numbers are its statics). */
export interface HttpServerClass {
  new (options: { port: number }): { callback: unknown; close(): void };
  readonly status: number;
  readonly header: number;
  readonly headersComplete: number;
  readonly requestComplete: number;
  readonly prepareResponse: number;
  readonly responseFragment: number;
  readonly responseComplete: number;
  readonly error: number;
}

export interface HttpServerOptions {
  readonly Server: HttpServerClass;
  readonly port: number;
  /** Bytes free on the XS heap for a request body (see bodyLimit). */
  readonly freeHeap: () => number;
}

interface Exchange {
  method: string;
  path: string;
  authorization: string;
  contentLength: string | undefined;
  body: string;
  /** Decided before the body (refusals), or after it. */
  answer: HttpAnswer | null;
  /** Bytes to send before anything else (a string body's UTF-8, or what a fragment could not take). */
  bytes: Uint8Array | null;
  sent: number;
  /** The rest of a JSON document written in pieces. */
  pieces: JsonPieces | null;
  /** Holds the one body slot. */
  receiving: boolean;
}

/** The largest request body accepted when `freeHeap` bytes are free. */
export function bodyLimit(freeHeap: number): number {
  return Math.max(0, Math.min(SITE_MAX_BYTES, Math.floor(freeHeap / BODY_HEAP_FACTOR)));
}

function refusal(status: number, error: string): HttpAnswer {
  return { status, type: "application/json", body: JSON.stringify({ error }) };
}

/** The answer to a site write decided from its headers alone, or null when its body may be read. */
export function screenSiteWrite(routes: HttpRoutes, authorization: string, contentLength: string | undefined, freeHeap: number): HttpAnswer | null {
  const denied = routes.authorize(authorization);
  if (denied !== null) return denied;
  if (contentLength === undefined) return refusal(411, "Content-Length is required");
  if (!/^[0-9]{1,9}$/.test(contentLength)) return refusal(400, `Content-Length must be a decimal number of bytes, got "${contentLength.slice(0, 20)}"`);
  const n = Number(contentLength);
  const limit = bodyLimit(freeHeap);
  if (n > limit) return refusal(413, `body of ${n} bytes refused: at most ${limit} now (site storage ${SITE_MAX_BYTES} bytes; a body needs ${BODY_HEAP_FACTOR}× its size free on the heap)`);
  return null;
}

export function startHttpServer(routes: HttpRoutes, options: HttpServerOptions): object {
  const S = options.Server;
  const server = new S({ port: options.port });
  const exchanges = new WeakMap<object, Exchange>();
  // The one buffer JSON documents are written into, piece by piece, for every response (PIECE_MAX ≤ WHOLE_BODY_MAX).
  const buffer = new JsonWriter(WHOLE_BODY_MAX);
  /** Writes pieces into `buffer` (emptied first) until about `want` bytes or no room for another; false when done. */
  const fill = (pieces: JsonPieces, want: number): boolean => {
    buffer.reset();
    let more = true;
    while (more && buffer.length < want && buffer.length + PIECE_MAX <= buffer.capacity) more = pieces.next(buffer);
    if (buffer.overflow) throw new RangeError(`a JSON piece longer than ${PIECE_MAX} bytes`);
    return more;
  };
  let receiving = false;
  const release = (x: Exchange) => {
    if (x.receiving) receiving = x.receiving = false;
  };
  server.callback = function (this: Record<string, unknown>, message: number, value?: unknown, value2?: unknown) {
    let x = exchanges.get(this);
    if (x === undefined) {
      x = { method: "GET", path: "/", authorization: "", contentLength: undefined, body: "", answer: null, bytes: null, sent: 0, pieces: null, receiving: false };
      exchanges.set(this, x);
    }
    switch (message) {
      case S.status:
        x.path = String(value);
        x.method = String(value2);
        break;
      case S.header: {
        const name = String(value).toLowerCase();
        if (name === "authorization") x.authorization = String(value2);
        else if (name === "content-length") x.contentLength = x.contentLength === undefined ? String(value2) : "duplicate";
        break;
      }
      case S.headersComplete:
        if (HttpRoutes.isSiteWrite(x.method, x.path)) {
          x.answer = screenSiteWrite(routes, x.authorization, x.contentLength, options.freeHeap());
          if (x.answer === null && receiving) x.answer = refusal(503, "another site upload is being received; try again");
          if (x.answer === null) {
            receiving = x.receiving = true;
            return String;
          }
        } else if (x.contentLength !== undefined && x.contentLength !== "0") x.answer = refusal(400, "no request body is accepted here");
        // Leave any body unread: the SDK reads one only while the request's `total` is set.
        delete this.total;
        return false;
      case S.requestComplete:
        if (typeof value === "string") x.body = value;
        break;
      case S.prepareResponse: {
        const a = x.answer ?? routes.handle(x.method, x.path, x.authorization, x.body, HttpRoutes.isSiteWrite(x.method, x.path));
        x.body = "";
        release(x);
        const headers = ["Content-Type", a.type, "Cache-Control", "no-store"];
        if (a.pieces !== undefined) {
          // A document in pieces: as many as the buffer holds. All of it: given whole (a copy: the SDK may write it
          // later, and the buffer serves every response). More: chunked, what was written sent first.
          const more = fill(a.pieces, WHOLE_BODY_MAX);
          if (!more) return { status: a.status, headers, body: buffer.bytes.slice(0, buffer.length).buffer };
          x.bytes = buffer.bytes.slice(0, buffer.length);
          x.sent = 0;
          x.pieces = a.pieces;
          return { status: a.status, headers, body: true };
        }
        const bytes = new Uint8Array(a.bytes ?? utf8(a.body));
        if (a.status === 429) headers.push("Retry-After", String((JSON.parse(a.body) as { retryAfterS?: number }).retryAfterS ?? 1));
        if (bytes.length <= WHOLE_BODY_MAX) return { status: a.status, headers, body: bytes.buffer };
        x.bytes = bytes;
        x.sent = 0;
        return { status: a.status, headers, body: true };
      }
      case S.responseFragment: {
        const count = Number(value);
        if (count <= 0) return undefined;
        const bytes = x.bytes;
        if (bytes !== null && x.sent < bytes.length) {
          const n = Math.min(count, bytes.length - x.sent);
          const piece = new Uint8Array(bytes.buffer, bytes.byteOffset + x.sent, n);
          x.sent += n;
          return piece;
        }
        x.bytes = null;
        const pieces = x.pieces;
        if (pieces === null) return undefined;
        // The next pieces, written into the one buffer and sent from it at once (the SDK writes a fragment to the
        // socket before it asks again); what does not fit `count` waits in a copy.
        if (!fill(pieces, count)) x.pieces = null;
        const n = Math.min(count, buffer.length);
        if (n < buffer.length) { x.bytes = buffer.bytes.slice(n, buffer.length); x.sent = 0; }
        return n > 0 ? new Uint8Array(buffer.bytes.buffer, 0, n) : undefined;
      }
      case S.responseComplete:
      case S.error:
        release(x);
        x.bytes = null;
        x.pieces = null;
        break;
    }
    return undefined;
  } as never;
  return server;
}
