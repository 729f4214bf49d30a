// The gateway in front of a real serial line: the pymodbus 3.0.0 RTU slave (test/peers/pymodbus-rtu-slave.py, unit 1) on
// one end of a socat pseudo-terminal pair, rc485's serial host (hosts/node/serial-port.ts) and master on the other, and
// the gateway started through startGateway() (the hook `rc485 run` uses). Clients: mbpoll and pymodbus over TCP.
import test from "ava";
import { Master } from "../modules/master/engine";
import { SerialHost } from "../hosts/node/serial-port";
import { startGateway, type RunningGateway } from "../hosts/node/gateway-server";
import { killAll, ptyPair, pymodbusSlave, type PtyPair } from "./harness/node-peers";
import { killClients, mbpoll, mbpollValues, pymodbus } from "./harness/gateway-peers";

let pty: PtyPair;
let slave: { stop(): void; output(): string };
let host: SerialHost;
let gw: RunningGateway | null = null;

test.before(async () => {
  pty = await ptyPair();
  slave = await pymodbusSlave(pty.a, 9600);
  host = new SerialHost({ path: pty.b, baud: 9600, framing: "8N1" });
  const master = new Master({ baud: 9600, retries: 1, responseTimeoutUs: 300000 }, host, { completed: (r) => void gw?.masterCompleted(r) });
  await host.open();
  host.attach(master, master);
  gw = await startGateway({ port: 0, aliases: { "10": 1 } }, { bus: master, now: () => host.now(), afterInput: () => host.poke() });
});
test.after.always(async () => {
  killClients();
  await gw?.close();
  await host?.close();
  slave?.stop();
  pty?.stop();
  killAll();
});

test.serial("mbpoll reads the pymodbus RTU slave through the gateway (integers and a float32)", async (t) => {
  const ints = await mbpoll(gw!.address.port, ["-a", "1", "-0", "-r", "4", "-c", "1", "-t", "4"]);
  t.is(ints.code, 0, ints.stdout + ints.stderr + slave.output());
  t.deepEqual(mbpollValues(ints.stdout), [1234]);
  const f = await mbpoll(gw!.address.port, ["-a", "10", "-0", "-r", "0", "-c", "1", "-t", "4:float", "-B"]);
  t.is(f.code, 0, f.stdout + f.stderr);
  t.regex(f.stdout, /\[0\]:\s+230\.5/);
});

test.serial("pymodbus TCP → gateway → RTU slave: reads, exception 02 relayed, a missing unit answered 0B", async (t) => {
  const r = await pymodbus(gw!.address.port, [["rh", 1, 4, 2], ["ri", 10, 6, 2], ["rh", 1, 8, 4], ["rh", 2, 0, 1], ["rh", 1, 4, 1]]);
  t.deepEqual(r, [
    { registers: [1234, 65531] }, { registers: [1883, 52501] }, { exception: 2 }, { exception: 0x0b }, { registers: [1234] },
  ], slave.output());
});
