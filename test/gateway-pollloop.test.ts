// The gateway as the poll loop's guest (modules/concentrator/poll-loop.ts `guest`), on the simulator with the real PollLoop and
// profile-driven meters: 16 clients keep the bus saturated with TCP reads for a minute of virtual time, and the site's
// polls keep their cadence (every cycle done, none skipped) while every TCP request is answered with the right data.
import test from "ava";
import { Gateway, type GatewayLink } from "../modules/gateway/engine";
import { writeMbapHeader } from "../modules/gateway/mbap";
import { PollLoop } from "../modules/concentrator/poll-loop";
import { loopOptionsForSite, planForSite } from "../modules/site/site";
import { Simulation } from "../hosts/sim/index";
import { LiveMeter } from "../hosts/sim/live-meter";
import { readSiteFile } from "../hosts/node/site-file";
import { ROOT } from "./harness/gateway-peers";

test("polls keep their cadence while 16 TCP clients saturate the bus", (t) => {
  const loaded = readSiteFile(`${ROOT}test/fixtures/sites/gateway-sim.json`);
  t.truthy(loaded.site, loaded.errors.join("; "));
  const site = loaded.site!;
  const plan = planForSite(site);
  const opts = loopOptionsForSite(site, plan, {});
  const sim = new Simulation({ seed: 2, traceCapacity: 16 });
  const bus = sim.segment({ name: "bus", baud: site.bus.baud, framing: site.bus.framing });
  site.meters.forEach((m, i) => new LiveMeter(sim, bus, m.profile, { unit: m.unit, name: m.name, seed: 11 + i, turnaroundUs: [2000, 4000] }));
  const host = sim.host({ name: "concentrator", ports: [{ segment: bus }] });
  let gw: Gateway | null = null;
  const loop = new PollLoop(plan, host.port(0), {
    ...opts,
    guest: { owns: (tag) => gw!.owns(tag), completed: (r) => gw!.completed(r), pump: (now) => gw!.pump(now) },
  });
  gw = new Gateway({ maxClients: 16, maxPerAddress: 16, maxPerClient: 1, aliases: { "12": 2 } }, loop.master);
  const request = new Uint8Array(12);
  let answered = 0;
  let wrong = 0;
  const due: number[] = [];
  const link: GatewayLink = {
    send(c, b, off, len) {
      // 2 input registers of unit 2 (the SDM120's voltage, a float near 230 V).
      const ok = b[off + 1] === (c & 0xff) && b[off + 6] === 12 && b[off + 7] === 4 && b[off + 8] === 4 && len === 13;
      const v = new DataView(b.buffer, b.byteOffset + off + 9, 4).getFloat32(0);
      if (!ok || !(v > 200 && v < 260)) wrong++;
      answered++;
      due.push(c);
    },
    close() { throw new Error("closed a good client"); },
    resume() {},
  };
  gw.attach(link);
  const send = (c: number) => {
    writeMbapHeader(request, 0, c, 12, 5);
    request.set([4, 0, 0, 0, 2], 7);
    gw!.received(c, request, 0, 12, sim.now);
  };
  host.attach(loop);
  loop.start(0);
  for (let c = 0; c < 16; c++) { gw.accept("127.0.0.1", 0); send(c); }
  sim.poke();
  const seconds = 60;
  for (let s = 1; s <= seconds * 10; s++) {
    sim.runUntil(s * 100000);
    while (due.length > 0) send(due.shift()!);
  }
  t.is(wrong, 0);
  t.true(answered > 500, `TCP answered ${answered}`);
  for (let m = 0; m < site.meters.length; m++) {
    const expected = Math.floor((seconds * 1000) / site.meters[m].intervalMs);
    t.true(loop.scheduler.cyclesDone[m] >= expected - 1, `${site.meters[m].name}: ${loop.scheduler.cyclesDone[m]} cycles of ${expected}`);
    t.is(loop.scheduler.cyclesSkipped[m], 0, site.meters[m].name);
  }
  t.log(`60 s virtual: ${answered} TCP answers, cycles ${Array.from(loop.scheduler.cyclesDone).join("/")}, skipped ${Array.from(loop.scheduler.cyclesSkipped).join("/")}`);
});
