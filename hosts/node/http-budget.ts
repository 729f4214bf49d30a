/*
 * The status server's request budget: one process serves HTTP, the Modbus TCP gateway, MQTT and the bus, so a client
 * looping on GETs as fast as answers come must not take the CPU they need (docs/gateway.md, "Under attack").
 *
 * Theory of operation: a rate budget over all HTTP requests (GCRA, ITU-T I.371's virtual scheduling: `paidUntil` is
 * when the requests admitted so far would have run at exactly `ratePerSecond`; a request runs at once while that is at
 * most `burst - 1` intervals ahead of now). A request over budget is not refused but delayed: its handler runs when the
 * budget allows, so a client that waits for each answer (a browser, a poller, a GET loop) is slowed to the rate and
 * spends no CPU of ours meanwhile. Past `maxWaiting` delayed requests (a client that does not wait for its answers),
 * the next is answered 503 with Retry-After at once, which costs little. Timers are per waiting request, and at most
 * `maxWaiting` exist.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** Default HTTP requests per second over all clients: the status page polls a few endpoints every few seconds. */
export const HTTP_RATE_PER_SECOND = 100;
/** Default burst taken at once (a page load fetches its HTML, script, stylesheet, icon and several endpoints). */
export const HTTP_BURST = 40;

export class HttpBudget {
  /** Requests delayed, and answered 503, so far. */
  delayed = 0;
  refused = 0;
  private waiting = 0;
  private paidUntil = 0;
  private readonly intervalMs: number;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(ratePerSecond: number, private readonly burst: number, private readonly maxWaiting: number, private readonly nowMs: () => number = () => performance.now()) {
    if (!(Number.isInteger(ratePerSecond) && ratePerSecond > 0)) throw new RangeError(`http rate must be a positive integer of requests per second (got ${String(ratePerSecond)})`);
    if (!(Number.isInteger(burst) && burst >= 1)) throw new RangeError(`http burst must be a positive integer (got ${String(burst)})`);
    this.intervalMs = 1000 / ratePerSecond;
  }

  /** Runs `handle` now, or once the budget allows; answers 503 instead when too many requests wait already. */
  admit(req: IncomingMessage, res: ServerResponse, handle: () => void): void {
    const now = this.nowMs();
    const paid = this.paidUntil > now ? this.paidUntil : now;
    const wait = paid - now - (this.burst - 1) * this.intervalMs;
    if (wait <= 0) {
      this.paidUntil = paid + this.intervalMs;
      handle();
      return;
    }
    if (this.waiting >= this.maxWaiting) {
      this.refused++;
      res.writeHead(503, { "Retry-After": "1", "Content-Type": "text/plain; charset=utf-8", "Content-Length": 5, Connection: "close" });
      res.end("busy\n");
      return;
    }
    this.paidUntil = paid + this.intervalMs;
    this.delayed++;
    this.waiting++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.waiting--;
      if (!res.destroyed && !req.socket.destroyed) handle();
    }, Math.ceil(wait));
    this.timers.add(timer);
  }

  /** Drops the delayed requests (the server is closing). */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.waiting = 0;
  }
}
