// MQTT forwarding against a real mosquitto broker on a loopback port: readings, discovery and availability arrive; the
// broker is stopped mid-run and restarted, and every reading taken meanwhile arrives afterwards, in order.
import test from "ava";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { MqttConfigError, MqttForwarder, parseMqttConfig } from "../hosts/node/mqtt";
import { ReadingsStore, type MeterMeta } from "../modules/concentrator/readings";
import { mosquitto, MOSQUITTO, until } from "./harness/mosquitto";

const METERS: MeterMeta[] = [
  { name: "main", profile: "eastron-sdm630", manufacturer: "Eastron", model: "SDM630", unit: 1, points: [
    { name: "voltage_l1", label: "Voltage L1", unit: "V", deviceClass: "voltage", stateClass: "measurement", type: "f32" },
    { name: "power_total", label: "Total power", unit: "W", deviceClass: "power", stateClass: "measurement", type: "f32" },
    { name: "energy_import", label: "Import energy", unit: "kWh", deviceClass: "energy", stateClass: "total_increasing", type: "f32" },
  ] },
  { name: "pump", profile: "eastron-sdm120", unit: 2, points: [
    { name: "power", unit: "W", deviceClass: "power", stateClass: "measurement", type: "f32" },
  ] },
];

const BASE_MS = Date.UTC(2026, 10, 21, 6, 0, 0);

interface Received { topic: string; payload: string; retain: boolean; dup?: boolean }

async function subscriber(url: string, clientId: string, topics: string[], into: Received[]): Promise<MqttClient> {
  const c = mqtt.connect(url, { clientId, clean: false, reconnectPeriod: 100, connectTimeout: 2000 });
  c.on("message", (topic, payload, packet) => into.push({ topic, payload: payload.toString(), retain: packet.retain, dup: packet.dup }));
  c.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("subscriber did not connect")), 30_000);
    c.once("connect", () => c.subscribe(topics, { qos: 1 }, (err) => { clearTimeout(t); if (err) reject(err); else resolve(); }));
  });
  return c;
}

/** Takes reading k of the test sequence: meter k % 2, wall-clock time BASE_MS + k s, values derived from k. */
function take(store: ReadingsStore, fwd: MqttForwarder, k: number): void {
  const m = k % 2;
  store.record(m, m === 0 ? [230 + (k % 10) / 10, 1000 + k, 5000 + k / 100] : [500 + k], 1_000_000 + k * 1_000_000, BASE_MS + k * 1000);
  fwd.reading(m);
  fwd.health();
}

function states(rx: Received[]): { k: number; meter: string; doc: Record<string, unknown> }[] {
  return rx.filter((r) => r.topic.endsWith("/state")).map((r) => {
    const doc = JSON.parse(r.payload) as Record<string, unknown>;
    return { k: ((doc.time_ms as number) - BASE_MS) / 1000, meter: r.topic.split("/")[2], doc };
  });
}

test.serial("readings, discovery and availability arrive; a broker restart loses and reorders nothing", async (t) => {
  const broker = await mosquitto();
  const rx: Received[] = [];
  let sub: MqttClient | undefined;
  let fwd: MqttForwarder | undefined;
  const logs: string[] = [];
  try {
    sub = await subscriber(broker.url, "rc485-test-sub", ["rc485/#", "homeassistant/device/#"], rx);
    const store = new ReadingsStore({ meters: METERS });
    fwd = new MqttForwarder(store, { url: broker.url, site: "lab", backoffMinMs: 50, backoffMaxMs: 400, ring: 500, window: 8, log: (l) => logs.push(l) });
    fwd.start();
    t.true(await until(() => fwd!.stats().connected, 30_000), "forwarder connects");
    t.true(await until(() => rx.filter((r) => r.topic.startsWith("homeassistant/device/")).length >= 2, 30_000), "discovery arrives");

    const disc = rx.filter((r) => r.topic === "homeassistant/device/rc485_lab_main/config");
    t.is(disc.length, 1);
    const doc = JSON.parse(disc[0].payload);
    t.deepEqual(Object.keys(doc.cmps), ["voltage_l1", "power_total", "energy_import"]);
    t.is(doc.cmps.energy_import.state_class, "total_increasing");
    t.is(doc.state_topic, "rc485/lab/main/state");
    t.deepEqual(doc.dev.ids, ["rc485_lab_main"]);
    t.is(doc.o.name, "rc485");
    t.true(rx.some((r) => r.topic === "rc485/lab/status" && r.payload === "online"), "concentrator online");

    // Phase 1: broker up.
    for (let k = 0; k < 20; k++) take(store, fwd, k);
    t.true(await until(() => states(rx).length >= 20, 30_000), "first 20 readings arrive");
    t.true(rx.some((r) => r.topic === "rc485/lab/main/availability" && r.payload === "online"), "meter availability published");
    const first = states(rx)[0];
    t.deepEqual(first.doc, { time: "2026-11-21T06:00:00.000Z", time_ms: BASE_MS, seq: 1, voltage_l1: 230, power_total: 1000, energy_import: 5000 });

    // Phase 2: broker down; readings keep coming and wait in the ring.
    const inFlightAtStop = fwd.stats().inFlight;
    await broker.stop();
    t.true(await until(() => !fwd!.stats().connected, 30_000), "forwarder notices the broker is gone");
    for (let k = 20; k < 70; k++) take(store, fwd, k);
    const down = fwd.stats();
    t.true(down.queued >= 50, `ring holds the readings taken meanwhile (${down.queued})`);
    t.is(down.dropped, 0);

    // Phase 3: broker back; everything arrives, in order.
    await broker.start();
    t.true(await until(() => new Set(states(rx).map((s) => s.k)).size >= 70, 30_000), "all 70 readings arrive after the restart");
    for (let k = 70; k < 80; k++) take(store, fwd, k);
    t.true(await until(() => new Set(states(rx).map((s) => s.k)).size >= 80, 30_000), "and new ones follow");
    const st = states(rx);
    const ks = st.map((s) => s.k);
    const unique = [...new Set(ks)];
    t.deepEqual(unique, Array.from({ length: 80 }, (_, i) => i), "every reading, first arrivals in the order taken");
    // QoS 1 may repeat what was in flight (no PUBACK yet) when the connection dropped, never more: the forwarder resends
    // at most the readings it had in flight, and the broker may redeliver to the subscriber what it had in flight to it
    // (those carry the DUP flag).
    const fresh = rx.filter((r) => r.topic.endsWith("/state") && !r.dup).map((r) => (JSON.parse(r.payload).time_ms - BASE_MS) / 1000);
    const forwarderDups = fresh.length - new Set(fresh).size;
    t.true(forwarderDups <= inFlightAtStop, `forwarder repeated ${forwarderDups} readings, ${inFlightAtStop} were in flight`);
    t.log(`in flight at the broker stop: ${inFlightAtStop}; repeats by the forwarder: ${forwarderDups}; redelivered by the broker: ${ks.length - fresh.length}`);
    for (let i = 1; i < ks.length; i++) if (ks[i] < ks[i - 1]) t.true(ks.indexOf(ks[i]) < i, "a repeat is only of a reading already delivered");
    for (const s of st) t.is(s.meter, s.k % 2 === 0 ? "main" : "pump");
    t.true(await until(() => fwd!.stats().delivered === 80, 30_000), "every PUBACK received");
    const stats = fwd.stats();
    t.is(stats.queued, 0);
    t.is(stats.dropped, 0);
    t.true(stats.disconnects >= 1);
    t.true(logs.some((l) => l.startsWith("mqtt: ")), "the outage was reported in one line");
  } finally {
    await fwd?.stop(500).catch(() => {});
    sub?.end(true);
    await broker.dispose();
  }
});

test.serial("the last will marks the concentrator offline when its connection dies; a clean stop says offline too", async (t) => {
  const broker = await mosquitto();
  const rx: Received[] = [];
  let sub: MqttClient | undefined;
  let fwd: MqttForwarder | undefined;
  try {
    sub = await subscriber(broker.url, "rc485-test-will", ["rc485/+/status"], rx);
    const store = new ReadingsStore({ meters: METERS });
    fwd = new MqttForwarder(store, { url: broker.url, site: "w", discovery: false, log: () => {} });
    fwd.start();
    t.true(await until(() => rx.some((r) => r.payload === "online"), 30_000));
    // Kill the TCP connection under the client (as a network failure would): the broker publishes the last will, then
    // the forwarder reconnects and says online again.
    const n = rx.length;
    (fwd as unknown as { client: MqttClient }).client.stream.destroy();
    t.true(await until(() => rx.slice(n).some((r) => r.payload === "offline"), 30_000), "last will published");
    t.true(await until(() => rx.length > n + 1 && rx[rx.length - 1].payload === "online", 30_000), "online again after reconnecting");
    await fwd.stop();
    t.true(await until(() => rx.length >= 2 && rx[rx.length - 1].payload === "offline", 30_000), "offline after stop");
  } finally {
    await fwd?.stop(0).catch(() => {});
    sub?.end(true);
    await broker.dispose();
  }
});

test.serial("when the ring is full its oldest block of readings is dropped and counted; the rest arrive in order", async (t) => {
  const broker = await mosquitto();
  const rx: Received[] = [];
  let sub: MqttClient | undefined;
  let fwd: MqttForwarder | undefined;
  try {
    await broker.stop();
    const store = new ReadingsStore({ meters: METERS });
    fwd = new MqttForwarder(store, { url: broker.url, site: "full", ring: 10, discovery: false, backoffMinMs: 50, backoffMaxMs: 200, log: () => {} });
    fwd.start();
    for (let k = 0; k < 25; k++) take(store, fwd, k);
    const held = fwd.stats().queued;
    t.true(held >= 10 && held < 25, `the ring holds at least its 10 readings: ${held}`);
    t.is(fwd.stats().dropped, 25 - held);
    t.true(await until(() => fwd!.stats().connectFailures >= 1, 30_000), "refused connections are counted");
    await broker.start();
    sub = await subscriber(broker.url, "rc485-test-full", ["rc485/full/+/state"], rx);
    t.true(await until(() => fwd!.stats().delivered === held, 30_000));
    // The subscriber may have connected after some were published (no session yet): check what it got is in order.
    const ks = states(rx).map((s) => s.k);
    t.deepEqual(ks, [...ks].sort((a, b) => a - b));
    t.true(ks.every((k) => k >= 25 - held), "only the newest readings are kept");
  } finally {
    await fwd?.stop(0).catch(() => {});
    sub?.end(true);
    await broker.dispose();
  }
});

test.serial("ring overflow while connected: a reading the broker acknowledged is delivered, never counted dropped", async (t) => {
  // The broker is frozen (SIGSTOP) with the connection up: published readings wait unacknowledged while more are taken,
  // so the ring overflows with readings in flight at its head. When the broker thaws it acknowledges what it was sent.
  const broker = await mosquitto();
  const rx: Received[] = [];
  let sub: MqttClient | undefined;
  let fwd: MqttForwarder | undefined;
  try {
    sub = await subscriber(broker.url, "rc485-test-overflow", ["rc485/overflow/+/state"], rx);
    const store = new ReadingsStore({ meters: METERS });
    fwd = new MqttForwarder(store, { url: broker.url, site: "overflow", ring: 10, window: 4, discovery: false, backoffMinMs: 50, backoffMaxMs: 200, log: () => {} });
    fwd.start();
    t.true(await until(() => fwd!.stats().connected, 30_000), "forwarder connects");
    broker.pause();
    for (let k = 0; k < 30; k++) take(store, fwd, k);
    const frozen = fwd.stats();
    t.true(frozen.queued >= 10 && frozen.queued < 30, `the ring is full: ${frozen.queued}`);
    broker.resume();
    t.true(await until(() => fwd!.stats().inFlight === 0 && fwd!.stats().queued === 0, 30_000), "the ring drains");
    t.true(await until(() => new Set(states(rx).map((s) => s.k)).size === fwd!.stats().delivered, 30_000), "the subscriber has every delivered reading");
    const got = new Set(states(rx).map((s) => s.k));
    const s = fwd.stats();
    t.log(`pushed ${s.pushed}, delivered ${s.delivered}, dropped ${s.dropped}; the subscriber got ${got.size}`);
    t.true(got.size > 10, "readings released from the ring while in flight still arrived");
    t.is(s.delivered, got.size, "delivered = what the broker acknowledged");
    t.is(s.dropped, 30 - got.size, "dropped = readings that never reached the broker");
    t.is(s.pushed, s.delivered + s.dropped);
  } finally {
    broker.resume();
    await fwd?.stop(0).catch(() => {});
    sub?.end(true);
    await broker.dispose();
  }
});

test("configuration errors are one line naming the field; an unreachable broker is a counted runtime fault", async (t) => {
  const store = new ReadingsStore({ meters: METERS });
  const notRing = join(mkdtempSync(join(tmpdir(), "rc485-cfg-")), "rc485-not-a-ring");
  writeFileSync(notRing, "hello");
  const bad: [unknown, RegExp][] = [
    [{ url: "not a url" }, /^forwarding\.mqtt\.url: 'not a url' is not a URL/],
    [{ url: "http://broker:1883" }, /scheme 'http' is not supported/],
    [{ url: "mqtt://user:pw@broker" }, /credentials/],
    [{}, /forwarding\.mqtt\.url: required/],
    [{ url: "mqtt://h", ring: 0 }, /forwarding\.mqtt\.ring/],
    [{ url: "mqtt://h", colour: "red" }, /forwarding\.mqtt\.colour: unknown option/],
    [{ url: "mqtt://h", cert: "/x" }, /give both/],
    [{ url: "mqtts://h", ca: "/nonexistent/ca.pem" }, /forwarding\.mqtt\.ca: \/nonexistent\/ca\.pem: no such file/],
    [{ url: "mqtts://h", ca: "/dev/zero" }, /forwarding\.mqtt\.ca: \/dev\/zero: larger than 1048576 bytes/],
    [{ url: "mqtts://h", ca: "/" }, /forwarding\.mqtt\.ca: \/: is a folder/],
    [{ url: "mqtt://h", site: "a/b" }, /forwarding\.mqtt\.site/],
    [{ url: "mqtt://h", ringStore: "/nonexistent/dir/ring" }, /^forwarding\.mqtt\.ringStore: cannot open '\/nonexistent\/dir\/ring': ENOENT$/],
    [{ url: "mqtt://h", ringStore: notRing }, /^forwarding\.mqtt\.ringStore: '.*rc485-not-a-ring' \(5 bytes\) is not a ring file of 4096-byte blocks/],
    [{ url: "mqtt://h", ringSyncMs: 100_000 }, /forwarding\.mqtt\.ringSyncMs: 100000 must be an integer 0\.\.60000/],
  ];
  for (const [cfg, re] of bad) {
    const e = t.throws(() => new MqttForwarder(store, cfg as never), { instanceOf: MqttConfigError });
    t.regex(e!.message, re);
    t.false(e!.message.includes("\n"));
  }
  t.notThrows(() => parseMqttConfig({ url: "mqtts://broker.example:8883", username: "u", password: "p" }));

  const logs: string[] = [];
  const port = (await import("./harness/mosquitto")).freePort;
  const url = `mqtt://127.0.0.1:${await port()}`; // nothing listens there
  const fwd = new MqttForwarder(store, { url, site: "x", backoffMinMs: 20, backoffMaxMs: 40, log: (l) => logs.push(l) });
  try {
    fwd.start();
    store.record(0, [1, 2, 3], 1, BASE_MS);
    fwd.reading(0);
    t.true(await until(() => fwd.stats().connectFailures >= 3, 30_000), "retried with backoff");
    const s = fwd.stats();
    t.false(s.connected);
    t.is(s.queued, 1);
    t.regex(s.lastError ?? "", /ECONNREFUSED/);
    t.is(logs.length, 1, "reported once, not once per retry");
    t.regex(logs[0], /^mqtt: mqtt:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED.* \(retrying with backoff\)$/);
  } finally {
    await fwd.stop(0);
  }
});

test.serial("TLS: mqtts:// with a CA, a client certificate and key, and username/password", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "rc485-tls-"));
  const sh = (args: string[]): void => void execFileSync("/usr/bin/openssl", args, { cwd: dir, stdio: "ignore" });
  sh(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=rc485 test CA", "-keyout", "ca.key", "-out", "ca.pem"]);
  for (const [name, cn] of [["server", "127.0.0.1"], ["client", "rc485"]]) {
    sh(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${cn}`, "-keyout", `${name}.key`, "-out", `${name}.csr`]);
    const ext = name === "server" ? ["-extfile", join(dir, "san.cnf")] : [];
    if (name === "server") execFileSync("sh", ["-c", "printf 'subjectAltName=IP:127.0.0.1\\n' > san.cnf"], { cwd: dir });
    sh(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-out", `${name}.pem`, ...ext]);
  }
  const broker = await mosquitto([`cafile ${dir}/ca.pem`, `certfile ${dir}/server.pem`, `keyfile ${dir}/server.key`, "require_certificate true"]);
  const url = `mqtts://127.0.0.1:${broker.port}`;
  const rx: Received[] = [];
  let sub: MqttClient | undefined;
  let fwd: MqttForwarder | undefined;
  try {
    const tls = { ca: `${dir}/ca.pem`, cert: `${dir}/client.pem`, key: `${dir}/client.key` };
    sub = mqtt.connect(url, { clientId: "rc485-tls-sub", reconnectPeriod: 100, ca: [readPem(tls.ca)], cert: readPem(tls.cert), key: readPem(tls.key) });
    sub.on("message", (topic, payload) => rx.push({ topic, payload: payload.toString(), retain: false }));
    sub.on("error", () => {});
    t.true(await until(() => sub!.connected, 30_000), "test subscriber connects over TLS");
    await new Promise<void>((r) => sub!.subscribe("rc485/#", { qos: 1 }, () => r()));
    const store = new ReadingsStore({ meters: METERS });
    fwd = new MqttForwarder(store, { url, site: "tls", username: "rc485", password: "secret", ...tls, discovery: false, log: () => {} });
    fwd.start();
    t.true(await until(() => fwd!.stats().connected, 30_000), "forwarder connects over TLS with its client certificate");
    store.record(1, [42.5], 1, BASE_MS);
    fwd.reading(1);
    t.true(await until(() => rx.some((r) => r.topic === "rc485/tls/pump/state"), 30_000));
    t.is(JSON.parse(rx.find((r) => r.topic === "rc485/tls/pump/state")!.payload).power, 42.5);

    // A key that does not belong to the certificate, or a file that is not PEM, is a configuration error.
    t.throws(() => new MqttForwarder(store, { url, site: "bad", ca: tls.ca, cert: tls.cert, key: `${dir}/server.key` }), { instanceOf: MqttConfigError, message: /^forwarding\.mqtt\.ca\/cert\/key: / });
    t.throws(() => new MqttForwarder(store, { url, site: "bad", ca: `${dir}/server.csr`, cert: tls.cert, key: tls.key }), { instanceOf: MqttConfigError, message: /^forwarding\.mqtt\.ca: '.*server\.csr' holds no PEM certificate$/ });

    // Without the client certificate the broker refuses: a counted runtime fault, not a crash.
    const refused = new MqttForwarder(store, { url, site: "tls2", ca: tls.ca, discovery: false, backoffMinMs: 50, backoffMaxMs: 100, log: () => {} });
    try {
      refused.start();
      t.true(await until(() => refused.stats().connectFailures >= 1, 30_000));
      t.false(refused.stats().connected);
    } finally {
      await refused.stop(0);
    }
  } finally {
    await fwd?.stop(0).catch(() => {});
    sub?.end(true);
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

function readPem(path: string): Buffer {
  return readFileSync(path);
}

test("mosquitto is installed where the tests expect it", (t) => {
  t.true(existsSync(MOSQUITTO), `${MOSQUITTO} (Debian package mosquitto; .ci/run installs it)`);
});

test.serial("startForwarding: the site's forwarding section starts HTTP and MQTT over one store; a bad section is a usage error", async (t) => {
  const { startForwarding } = await import("../hosts/node/forwarding");
  const { UsageError } = await import("../hosts/node/commands/command");
  const store = new ReadingsStore({ meters: METERS });
  await t.throwsAsync(() => startForwarding(store, { section: { mqtt: { url: "mqtt//x" } } }), { instanceOf: UsageError, message: /^forwarding\.mqtt\.url: / });
  await t.throwsAsync(() => startForwarding(store, { section: { http: { port: "80" } } }), { instanceOf: UsageError, message: /^forwarding\.http\.port/ });
  const broker = await mosquitto();
  const rx: Received[] = [];
  let sub: MqttClient | undefined;
  const fwd = await startForwarding(store, { section: { mqtt: { url: broker.url, site: "glue", discovery: false }, http: { port: 0 } }, log: () => {} });
  try {
    sub = await subscriber(broker.url, "rc485-test-glue", ["rc485/glue/+/state"], rx);
    t.regex(fwd.httpUrl ?? "", /^http:\/\/127\.0\.0\.1:\d+\/$/);
    t.true(await until(() => fwd.mqttStats()!.connected, 30_000));
    store.record(0, [230, 1, 2], 5_000_000, BASE_MS);
    fwd.reading(0);
    t.true(await until(() => rx.length === 1, 30_000));
    const health = (await (await fetch(fwd.httpUrl + "api/health")).json()) as { mqtt: { connected: boolean; delivered: number } };
    t.true(health.mqtt.connected);
  } finally {
    await fwd.stop(500);
    sub?.end(true);
    await broker.dispose();
  }
});
