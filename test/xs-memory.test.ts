// Memory on the real XS engine (scripts/xs-memory.mjs, a C host built from @agoric/xsnap's XS sources, 32-bit where gcc
// -m32 works): the engine configurations of bench/xs-memory-engines.ts measured after a full collection, and checked
// against the manifest's `creation`. A configuration whose measured figures exceed the creation must abort with "memory
// full" (or "not enough keys") when run within it, one that fits must run: the host enforces the device's sizes.
// Deterministic figures (slot and byte counts of XS), no wall clock.
import test from "ava";
import { manifestCreation, measureBootsOnXs, measureEnginesOnXs, measureSteadyOnXs } from "../scripts/xs-memory.mjs";

const ROOMY = { slots: 400000, chunkBytes: 8 << 20, keys: 4000 };

test("XS memory host: engine configurations measured on XS, and the manifest's creation enforced", async (t) => {
  t.timeout(600_000);
  const roomy = await measureEnginesOnXs(ROOMY);
  t.is(roomy.status, 0, roomy.stderr);
  t.true(roomy.done);
  t.log(`${roomy.bits}-bit XS`);
  if (process.arch === "x64") t.is(roomy.bits, 32, "gcc-multilib is installed on the CI machine: the host must be 32-bit (16-byte slots)");
  const [empty, four, typical, thirtyTwo, repeater] = roomy.rows;
  t.is(roomy.rows.length, 5);
  t.is(four.slotBytes, roomy.bits === 32 ? 16 : 32);
  for (const r of roomy.rows) t.log(`${r.name}: ${r.slots} slots, ${r.chunkBytes} chunk bytes, ${r.keys} keys`);
  // Sanity of the measurement itself: the empty machine is small, every engine holds something, more meters hold more.
  t.true(empty.slots < 100 && empty.chunkBytes < 1024, JSON.stringify(empty));
  for (const r of [four, typical, thirtyTwo, repeater]) t.true(r.slots > 100 && r.chunkBytes > 1000, JSON.stringify(r));
  t.true(thirtyTwo.chunkBytes > 2 * four.chunkBytes && thirtyTwo.chunkBytes > typical.chunkBytes);
  // The engine budget of issue 21 (slots × 16 B + chunk bytes, 32-bit XS): 32 meters with all points within 96 KB (met:
  // 90.1 KB when this was written); the 4-meter and 32-meter typical figures are held below what this change reached
  // plus a little room (33.3 KB and 85.8 KB measured; targets 24 KB and 64 KB not met yet: docs/esp32.md).
  if (roomy.bits === 32) {
    const total = (r: { slots: number; chunkBytes: number }) => r.slots * 16 + r.chunkBytes;
    t.true(total(thirtyTwo) <= 96 * 1024, `${thirtyTwo.name}: ${total(thirtyTwo)} bytes, target 96 KB`);
    t.true(total(typical) <= 88 * 1024, `${typical.name}: ${total(typical)} bytes`);
    t.true(total(four) <= 34 * 1024, `${four.name}: ${total(four)} bytes`);
  }
  // The repeater and the 4-meter concentrator with all points fit the manifest's creation.
  const c = manifestCreation();
  for (const r of [four, repeater]) {
    t.true(empty.slots + r.slots <= c.slots, `${r.name}: ${r.slots} slots, creation ${c.slots}`);
    t.true(empty.chunkBytes + r.chunkBytes <= c.chunkBytes, `${r.name}: ${r.chunkBytes} chunk bytes, creation ${c.chunkBytes}`);
    t.true(empty.keys + r.keys <= c.keys, `${r.name}: ${r.keys} keys, creation ${c.keys}`);
  }
  // Within the creation, each configuration runs when its figures fit and aborts when they do not.
  const tight = await measureEnginesOnXs({});
  roomy.rows.slice(1).forEach((r, i) => {
    const fits = empty.slots + r.slots <= c.slots && empty.chunkBytes + r.chunkBytes <= c.chunkBytes && empty.keys + r.keys <= c.keys;
    const run = tight.runs[i];
    if (fits) t.is(run.status, 0, `${r.name} fits and must run: ${run.stderr}`);
    else t.true(run.status === 2 || run.status === 3, `${r.name} does not fit and must abort (memory full or keys): status ${run.status} ${run.stderr}`);
  });
});

test("the whole firmware on XS: the shipped default site with MQTT forwarding boots and polls within the manifest's creation", async (t) => {
  t.timeout(600_000);
  const c = manifestCreation();
  const rows = await measureBootsOnXs(120);
  for (const r of rows) t.log(`${r.label}: ${JSON.stringify(r.result)}`);
  for (const r of rows) {
    t.is(r.status, 0, r.stderr);
    t.truthy(r.result, `${r.label}: no XS-FOOTPRINT line`);
    t.is(r.result?.error, "", `${r.label}: the boot threw`);
    t.true((r.result?.published ?? 0) > 0, `${r.label}: readings were published`);
  }
  // Keys are budgeted like slots: every site stays within the creation's runtime keys, and twelve meters take no more
  // keys than one (meter and point names never become property names; the simulator has created the point names'
  // keys before the boot, so the meter names are what would show).
  for (const r of rows) t.true(r.result!.booted![2] <= c.keys && r.result!.end![2] <= c.keys, `${r.label}: ${r.result!.end![2]} keys, creation ${c.keys}`);
  t.is(rows[2].result!.booted![2], rows[0].result!.booted![2], "12 meters use the keys of 1");
  // Each of the three sites (the shipped one with MQTT on, 4 meters with all points, 12 meters) boots and polls within
  // the creation; the ring is sized by the device's byte budget (it took 1,000 readings, 96 KB, before).
  for (const r of rows) {
    const x = r.result!;
    for (const [name, i, limit] of [["slots", 0, c.slots], ["chunk bytes", 1, c.chunkBytes], ["keys", 2, c.keys]] as const) {
      t.true(x.booted![i] <= limit, `${r.label} at boot: ${x.booted![i]} ${name}, creation ${limit}`);
      t.true(x.end![i] <= limit, `${r.label} after ${x.seconds} s (with the simulator's own growth): ${x.end![i]} ${name}, creation ${limit}`);
    }
  }
});

test("steady state on XS: 10,000 master transactions through the ESP32 adapter run no collection and leave the live heap unchanged", async (t) => {
  t.timeout(600_000);
  const r = await measureSteadyOnXs(10000);
  t.is(r.status, 0, r.stderr);
  t.truthy(r.result, "no XS-STEADY line");
  if (r.result === null) return;
  t.log(JSON.stringify(r.result));
  t.is(r.result.transactions, 10000);
  t.is(r.result.collections, 0);
  // The array xsMemory() returns for the "before" figure is all that changes (5 slots, one small chunk).
  t.true(r.result.slots <= 8 && r.result.chunkBytes <= 128, JSON.stringify(r.result));
});

test("steady state on XS: 10,000 transactions of the concentrator (polling, readings store, MQTT payload bytes, a gateway request every tenth) run no collection and leave the live heap unchanged", async (t) => {
  t.timeout(600_000);
  const r = await measureSteadyOnXs(10000, "concentrator");
  t.is(r.status, 0, r.stderr);
  t.truthy(r.result, "no XS-STEADY line");
  if (r.result === null) return;
  t.log(JSON.stringify(r.result));
  t.is(r.result.transactions, 10000);
  t.is(r.result.collections, 0);
  t.true(r.result.slots <= 8 && r.result.chunkBytes <= 128, JSON.stringify(r.result));
});
