/*
 * The concentrator's HTTP server on Node (node:http): the status page (built from web/status-page/, routes of
 * modules/forwarding/status-page.ts, read once at start by status-page-files.ts) and the JSON endpoints of modules/forwarding/status-json.ts,
 * written in pieces into one reusable JsonWriter (modules/forwarding/status-stream.ts), not built as objects per request.
 * Binds to 127.0.0.1 unless told otherwise (the page has no authentication). Read-only: GET and HEAD only. Every
 * response carries `X-Content-Type-Options: nosniff`, and the page a Content-Security-Policy allowing only its own
 * script and stylesheet, so nothing that reaches the page as data can run as code.
 *
 * Connections are a shared resource: every open socket holds a file descriptor of the process that also runs the bus,
 * the Modbus TCP gateway and MQTT. So the server takes at most `maxConnections` at once (Node closes the rest at accept),
 * gives a client `headersTimeoutMs` to send its request head and closes keep-alive connections idle for 5 s; errors of
 * the listening socket (EMFILE when the process is out of descriptors after all) are logged, never thrown. CPU is shared
 * too: requests beyond `ratePerSecond` (after a burst) wait for their turn, and past `maxConnections` waiting are
 * answered 503 (http-budget.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HTTP_BURST, HTTP_RATE_PER_SECOND, HttpBudget } from "./http-budget";
import { statusPageRoutes } from "./status-page-files";
import type { ReadingsStore } from "../../modules/concentrator/readings";
import { JsonWriter } from "../../modules/forwarding/json-writer";
import { planDocument, type LinkSource, type PlanSource, type QualitySource } from "../../modules/forwarding/status-json";
import { HistoryPieces, MetersPieces, healthPieces, linksPieces, writeGrowing, type JsonPieces } from "../../modules/forwarding/status-stream";

export interface HttpServerOptions {
  readonly store: ReadingsStore;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 8485; 0 picks a free port. */
  readonly port?: number;
  readonly links?: LinkSource;
  readonly plan?: PlanSource;
  /** Each point's quality for /api/meters (modules/concentrator/point-quality.ts). */
  readonly quality?: QualitySource;
  /** Extra fields for /api/health (e.g. the MQTT forwarder's stats()). */
  readonly health?: () => Record<string, unknown>;
  /** The store's clock, integer µs (default: process.hrtime). Must be the clock record()/failure() were given. */
  readonly nowUs?: () => number;
  /** Wall clock, epoch ms (default Date.now). */
  readonly nowMs?: () => number;
  /** Concurrent connections at most (default HTTP_MAX_CONNECTIONS); more are closed at once. */
  readonly maxConnections?: number;
  /** A client must send its whole request head within this, ms (default 10000). */
  readonly headersTimeoutMs?: number;
  /** Requests per second over all clients before requests wait their turn (default HTTP_RATE_PER_SECOND). */
  readonly ratePerSecond?: number;
  /** Errors after listening (EMFILE, …), one line each. */
  readonly log?: (line: string) => void;
}

/** Default limit of concurrent HTTP connections: a status page and a few API pollers need far fewer. */
export const HTTP_MAX_CONNECTIONS = 32;

export interface StatusServer {
  /** e.g. http://127.0.0.1:8485/ */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const PAGE_HEADERS = {
  "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Starts the server; resolves once it listens. A port in use or a bad host rejects with a one-line error. */
export function startHttpServer(options: HttpServerOptions): Promise<StatusServer> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 8485;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`forwarding.http.port: ${String(port)} must be an integer 0..65535`);
  const maxConnections = options.maxConnections ?? HTTP_MAX_CONNECTIONS;
  if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new RangeError(`http maxConnections must be a positive integer (got ${String(maxConnections)})`);
  const headersTimeoutMs = options.headersTimeoutMs ?? 10000;
  const nowUs = options.nowUs ?? monotonicUs;
  const nowMs = options.nowMs ?? Date.now;
  const store = options.store;
  const budget = new HttpBudget(options.ratePerSecond ?? HTTP_RATE_PER_SECOND, HTTP_BURST, maxConnections);

  // The JSON documents are written into one writer, reused by every request (grown once if a document outgrows it);
  // the response gets a copy of its bytes, as Node may still hold them when the next request comes.
  let writer = new JsonWriter(64 * 1024);
  const document = (make: () => JsonPieces): [string, Buffer] => {
    writer = writeGrowing(make, writer);
    return [JSON_TYPE, Buffer.from(writer.bytes.subarray(0, writer.length))];
  };
  const routes: Record<string, () => [string, string | Buffer]> = {
    ...statusPageRoutes(),
    "/api/meters": () => document(() => new MetersPieces(store, nowUs(), nowMs(), options.quality)),
    "/api/history": () => document(() => new HistoryPieces(store, nowUs(), nowMs())),
    "/api/links": () => document(() => linksPieces(options.links, nowMs())),
    // The plan is the planner's own description, asked for rarely: built and stringified.
    "/api/plan": () => json(planDocument(options.plan, nowMs())),
    "/api/health": () => document(() => healthPieces(store, nowMs(), options.health ? options.health() : undefined)),
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => budget.admit(req, res, () => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, "application/json", JSON.stringify({ error: "method not allowed" }), { Allow: "GET, HEAD" });
      return;
    }
    const path = (req.url ?? "/").split("?")[0];
    const route = Object.prototype.hasOwnProperty.call(routes, path) ? routes[path] : undefined;
    if (!route) {
      send(res, 404, "application/json", JSON.stringify({ error: "not found", endpoints: Object.keys(routes).filter((p) => p.startsWith("/api/")) }));
      return;
    }
    let body: [string, string | Buffer];
    try {
      body = route();
    } catch (e) {
      send(res, 500, "application/json", JSON.stringify({ error: String((e as Error).message ?? e) }));
      return;
    }
    send(res, 200, body[0], body[1], undefined, req.method === "HEAD");
  }));

  server.maxConnections = maxConnections;
  server.headersTimeout = headersTimeoutMs;
  server.requestTimeout = Math.max(headersTimeoutMs, 30000);
  server.keepAliveTimeout = 5000;
  server.on("clientError", (_e, socket) => { socket.destroy(); });
  return new Promise((resolve, reject) => {
    const refuse = (e: NodeJS.ErrnoException) => reject(new Error(`http: cannot listen on ${host}:${port}: ${e.code ?? e.message}`));
    server.once("error", refuse);
    server.listen(port, host, () => {
      server.off("error", refuse);
      server.on("error", (e: NodeJS.ErrnoException) => options.log?.(`http: ${e.code ?? e.message}`));
      const a = server.address() as AddressInfo;
      const shown = a.family === "IPv6" ? `[${a.address}]` : a.address;
      resolve({
        url: `http://${shown}:${a.port}/`,
        port: a.port,
        close: () => new Promise<void>((r) => { budget.stop(); server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}

const JSON_TYPE = "application/json; charset=utf-8";

function json(doc: unknown): [string, string] {
  return [JSON_TYPE, JSON.stringify(doc)];
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra?: Record<string, string>, headOnly = false): void {
  res.writeHead(status, { ...PAGE_HEADERS, "Content-Type": type, "Content-Length": Buffer.byteLength(body), ...extra });
  res.end(headOnly ? undefined : body);
}
