// `rc485 sim` with a site whose `gateway` section starts the Modbus TCP gateway (the hook in hosts/node/concentrator.ts):
// while the concentrator polls the emulated meters in real time, mbpoll and pymodbus read the same meters through the
// gateway (directly, through an alias) and the concentrator's own status registers on its local unit id 255.
import test from "ava";
import { killAll, rc485Background, waitFor, waitForAsync } from "./harness/node-peers";
import { killClients, mbpoll, mbpollValues, pymodbus } from "./harness/gateway-peers";

test.after.always(() => { killClients(); killAll(); });

test("rc485 sim serves the site's meters and its own registers over Modbus TCP while it polls", async (t) => {
  // No --duration: the run lasts until the clients below are done (SIGTERM), however long a loaded machine takes them.
  const sim = rc485Background(["sim", "--site", "test/fixtures/sites/gateway-sim.json", "--no-http", "--json", "--gateway-port", "0"]);
  try {
    await waitFor(() => /Modbus TCP gateway 127\.0\.0\.1:\d+/.test(sim.stderr()) || sim.child.exitCode !== null, 20000, "the gateway address");
    const port = Number(/Modbus TCP gateway 127\.0\.0\.1:(\d+)/.exec(sim.stderr())?.[1]);
    t.true(port > 0, sim.stderr());
    // Until the concentrator has read both meters (its own registers say so), not a fixed time; bounded.
    const online = async () => { const r = await mbpoll(port, ["-a", "255", "-0", "-r", "0", "-c", "4", "-t", "3"]); return r.code === 0 && mbpollValues(r.stdout)[2] === 2; };
    await waitForAsync(online, 60000, "both meters online");
    const volts = await mbpoll(port, ["-a", "2", "-0", "-r", "0", "-c", "1", "-t", "3:float", "-B"]);
    t.is(volts.code, 0, volts.stdout + volts.stderr);
    const v = Number(/\[0\]:\s+([\d.]+)/.exec(volts.stdout)?.[1]);
    t.true(v > 200 && v < 260, `heatpump voltage ${v}`);
    const own = await mbpoll(port, ["-a", "255", "-0", "-r", "0", "-c", "4", "-t", "3"]);
    t.is(own.code, 0, own.stdout + own.stderr);
    t.deepEqual(mbpollValues(own.stdout), [1, 2, 2, 0], "map version 1, 2 meters, both online, none offline");
    const r = await pymodbus(port, [["ri", 12, 0, 2], ["ri", 1, 0, 2], ["rh", 255, 16, 8]]);
    const [alias, house, blocks] = r as { registers: number[] }[];
    const f32 = (w: number[]) => new DataView(new Uint16Array([w[1], w[0]]).buffer).getFloat32(0, true);
    t.true(f32(alias.registers) > 200 && f32(alias.registers) < 260, JSON.stringify(r));
    t.true(f32(house.registers) > 200 && f32(house.registers) < 260, JSON.stringify(r));
    t.deepEqual([blocks.registers[0], blocks.registers[1], blocks.registers[4], blocks.registers[5]], [1, 1, 2, 1], "unit and state of both meters");
  } finally {
    const code = await sim.stop("SIGTERM");
    t.is(code, 0, sim.stderr());
  }
  const summary = JSON.parse(sim.stdout());
  t.true(summary.meters.every((m: { state: string; readings: number }) => m.state === "online" && m.readings > 0), sim.stdout());
});
