// The status server's request budget (hosts/node/http-budget.ts) on a clock the test sets: a burst runs at once, the
// requests after it wait their turn and run in order, past maxWaiting the next is answered 503 at once; and the real
// server (hosts/node/http.ts) slows a client that sends faster than its rate without refusing it.
import test from "ava";
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpBudget } from "../hosts/node/http-budget";
import { startHttpServer } from "../hosts/node/http";
import { ReadingsStore } from "../modules/concentrator/readings";
import { waitFor } from "./harness/node-peers";

function fakeExchange(): { req: IncomingMessage; res: ServerResponse; status: () => number } {
  let status = 0;
  const res = { destroyed: false, writeHead(code: number) { status = code; return res; }, end() { return res; } };
  const req = { socket: { destroyed: false } };
  return { req: req as unknown as IncomingMessage, res: res as unknown as ServerResponse, status: () => status };
}

test("a burst runs at once, later requests wait in order, too many waiting get 503", async (t) => {
  let now = 1000;
  const budget = new HttpBudget(1000, 5, 3, () => now);
  const ran: number[] = [];
  const exchanges = Array.from({ length: 10 }, () => fakeExchange());
  exchanges.forEach((x, i) => budget.admit(x.req, x.res, () => ran.push(i)));
  t.deepEqual(ran, [0, 1, 2, 3, 4], "the burst of 5 ran at once");
  t.is(budget.delayed, 3);
  t.is(budget.refused, 2);
  t.deepEqual(exchanges.map((x) => x.status()), [0, 0, 0, 0, 0, 0, 0, 0, 503, 503]);
  await waitFor(() => ran.length === 8, 5000, "the waiting requests");
  t.deepEqual(ran, [0, 1, 2, 3, 4, 5, 6, 7], "the waiting ones ran, in order");
  now += 10; // 10 intervals later the budget has room again
  budget.admit(exchanges[9].req, exchanges[9].res, () => ran.push(9));
  t.is(ran[ran.length - 1], 9);
  budget.stop();
});

test("the status server holds a GET loop to its rate and answers every request", async (t) => {
  const server = await startHttpServer({ store: new ReadingsStore({ meters: [] }), port: 0, ratePerSecond: 200 });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await fetch(`${server.url}api/health`)).status);
    t.deepEqual([...new Set(statuses)], [200], "a client that waits for its answers is slowed, never refused");
  } finally {
    await server.close();
  }
});
