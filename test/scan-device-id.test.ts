// Identification by Read Device Identification (function 43 / MEI 14, basic objects: MODBUS Application Protocol
// Specification V1.1b3 §6.21) in the bus scan (modules/commissioning/scan.ts): simulated meters (hosts/sim/meter.ts `deviceId`) whose
// register signatures cannot decide between two profiles are told apart by their VendorName and ProductCode; a meter
// without function 43 stays ambiguous, and a profile naming only the vendor loses to one that names the product too.
import test from "ava";
import { profileMeter } from "../hosts/sim/profile-meter";
import { Simulation } from "../hosts/sim/simulation";
import type { Profile } from "../modules/concentrator/profile";
import { AMBIGUOUS, BusScanner, FOUND } from "../modules/commissioning/scan";
import { allProfiles } from "./harness/profiles";

const sdm120 = allProfiles().find((p) => p.id === "eastron-sdm120")!;
// Three profiles with the same signature (the same register family): only the device identification can tell them apart.
const named = (id: string, vendor: string, product: string): Profile => ({ ...sdm120, id, identification: { vendor, product } });
const PROFILES = [named("family-a", "Eastron", "SDM120-Modbus"), named("family-b", "Eastron", "SDM72"), named("family-any", "Eastron", "")];

function scanBus(meters: { unit: number; deviceId?: { vendor: string; product: string; revision: string } }[]): BusScanner {
  const sim = new Simulation({ seed: 5, traceCapacity: 16 });
  const bus = sim.segment({ name: "bus", baud: 9600, framing: "8N1" });
  for (const m of meters) {
    const pm = profileMeter(sdm120, m.unit, { voltage_l1_n: 230, frequency: 50 }, {}, { turnaroundUs: [3000, 6000], ...(m.deviceId ? { deviceId: m.deviceId } : {}) });
    sim.meter(bus, pm.options);
  }
  const host = sim.host({ name: "scanner", ports: [{ segment: bus, uart: "ideal" }], tick: 1000 });
  const scanner = new BusScanner(host.port(0), { baud: 9600, firstUnit: 1, lastUnit: 6, timeoutUs: 50000, profiles: PROFILES });
  host.attach(scanner);
  scanner.start(sim.now);
  sim.runUntilTrue(() => scanner.done, sim.now + 60_000_000);
  return scanner;
}

test("43/14 device identification decides where the signature ties; case and trailing spaces do not matter", (t) => {
  const s = scanBus([
    { unit: 2, deviceId: { vendor: "EASTRON", product: "SDM120-Modbus", revision: "1.02" } },
    { unit: 3, deviceId: { vendor: "eastron ", product: "SDM72", revision: "2.0" } },
    { unit: 4, deviceId: { vendor: "Eastron", product: "SDM630", revision: "3.1" } },
    { unit: 5 },
    { unit: 6, deviceId: { vendor: "Other Works", product: "SDM120-Modbus", revision: "1" } },
  ]);
  t.true(s.done);
  t.deepEqual(s.units(), [2, 3, 4, 5, 6]);
  for (const u of [2, 3, 4, 5, 6]) t.is(s.found[u], FOUND);
  t.is(s.profileFor(2)?.id, "family-a");
  t.is(s.byDeviceId[2], 1);
  t.is(s.profileFor(3)?.id, "family-b");
  t.is(s.byDeviceId[3], 1);
  // A product no profile names: the profile naming the vendor alone.
  t.is(s.profileFor(4)?.id, "family-any");
  // No function 43 (exception 01), or a vendor no profile names: the signature's tie stands.
  t.is(s.profileOf[5], AMBIGUOUS);
  t.is(s.byDeviceId[5], 0);
  t.is(s.profileOf[6], AMBIGUOUS);
  t.is(s.byDeviceId[6], 0);
});

test("without identification in any profile, or with deviceId off, no 43/14 request is sent", (t) => {
  const count = (deviceId: boolean, profiles: Profile[]) => {
    const sim = new Simulation({ seed: 5, traceCapacity: 16 });
    const bus = sim.segment({ name: "bus", baud: 9600, framing: "8N1" });
    sim.meter(bus, profileMeter(sdm120, 2, { voltage_l1_n: 230, frequency: 50 }, {}, { deviceId: { vendor: "Eastron", product: "SDM72", revision: "1" } }).options);
    const host = sim.host({ name: "scanner", ports: [{ segment: bus, uart: "ideal" }], tick: 1000 });
    const s = new BusScanner(host.port(0), { baud: 9600, firstUnit: 1, lastUnit: 3, timeoutUs: 50000, profiles, deviceId });
    host.attach(s);
    s.start(sim.now);
    sim.runUntilTrue(() => s.done, sim.now + 60_000_000);
    return s;
  };
  const on = count(true, PROFILES);
  const off = count(false, PROFILES);
  const unnamed = count(true, PROFILES.map((p) => ({ ...p, identification: null })));
  t.is(on.requests, off.requests + 1, "one 43/14 request for the one undecided unit");
  t.is(unnamed.requests, off.requests);
  t.is(on.profileFor(2)?.id, "family-b");
  t.is(off.profileOf[2], AMBIGUOUS);
});
