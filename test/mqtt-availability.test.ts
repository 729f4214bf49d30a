// Per-point MQTT availability against a real mosquitto broker, on the simulated demo site (hosts/node/sim-site.ts): a
// meter that goes offline in the simulator turns its entities' availability topics "offline", and "online" again when it
// comes back; the Home Assistant discovery document lists each entity's own topic with the concentrator's and the
// meter's (availability_mode "all"); a topic only gets a message when its state changes.
import test from "ava";
import mqtt, { type MqttClient } from "mqtt";
import { SimSite } from "../hosts/node/sim-site";
import { DEMO_SITE, readSiteFile } from "../hosts/node/site-file";
import { mosquitto, until } from "./harness/mosquitto";

interface Received { topic: string; payload: string; retain: boolean }

async function subscriber(url: string, topics: string[], into: Received[], clientId = "rc485-test-availability"): Promise<MqttClient> {
  const c = mqtt.connect(url, { clientId, clean: true, reconnectPeriod: 0, connectTimeout: 2000 });
  c.on("message", (topic, payload, packet) => into.push({ topic, payload: payload.toString(), retain: packet.retain }));
  c.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("subscriber did not connect")), 30_000);
    c.once("connect", () => c.subscribe(topics, { qos: 1 }, (err) => { clearTimeout(t); if (err) reject(err); else resolve(); }));
  });
  return c;
}

test("a meter offline in the simulator makes its entities unavailable, and available again when it is back", async (t) => {
  const l = readSiteFile(DEMO_SITE);
  if (!l.site) throw new Error(l.errors.join("\n"));
  const broker = await mosquitto();
  const rx: Received[] = [];
  let sub: MqttClient | undefined;
  let s: SimSite | undefined;
  try {
    sub = await subscriber(broker.url, ["rc485/home/#", "homeassistant/device/#"], rx);
    const site = { ...l.site, forwarding: { mqtt: { url: broker.url, site: "home" } } };
    s = await SimSite.create(site, l.simulation, { seed: 1, epochMs: Date.UTC(2026, 11, 3), http: { enabled: false }, log: () => {} });
    const fwd = s.conc.forwarding.mqtt!;
    t.true(await until(() => fwd.stats().connected, 30_000), "the forwarder connects");
    const meter = s.conc.store.meters[1].meta;
    const pointTopic = (p: string) => `rc485/home/${meter.name}/${p}/availability`;
    const latest = (topic: string) => { for (let i = rx.length - 1; i >= 0; i--) if (rx[i].topic === topic) return rx[i].payload; return undefined; };
    const all = (want: string, names: readonly string[]) => names.every((p) => latest(pointTopic(p)) === want);

    s.runUntil(30_000_000);
    const names = meter.points.map((p) => p.name);
    // Points the simulated meter reports as valid: the ones fresh now.
    const live = names.filter((_, i) => s!.conc.quality.of(1, i) === 1);
    t.true(live.length >= names.length - 2, `fresh points: ${live.join(",")}`);
    t.true(await until(() => all("online", live), 30_000), "the meter's live points are online");

    const disc = rx.find((r) => r.topic === `homeassistant/device/rc485_home_${meter.name}/config`);
    t.truthy(disc, "discovery document published");
    const doc = JSON.parse(disc!.payload) as { availability_mode: string; cmps: Record<string, { availability: { topic: string; payload_available: string; payload_not_available: string }[]; availability_mode: string }> };
    t.is(doc.availability_mode, "all");
    for (const p of names) {
      const c = doc.cmps[p];
      t.deepEqual(c.availability.map((a) => a.topic), ["rc485/home/status", `rc485/home/${meter.name}/availability`, pointTopic(p)]);
      t.true(c.availability.every((a) => a.payload_available === "online" && a.payload_not_available === "offline"));
      t.is(c.availability_mode, "all");
    }

    s.meters[1].emulator.dead = true;
    s.runUntil(90_000_000);
    t.true(await until(() => all("offline", names) && latest(`rc485/home/${meter.name}/availability`) === "offline", 30_000),
      names.map((p) => `${p}=${latest(pointTopic(p))}`).join(","));
    // Retained: a client subscribing now learns the state at once (MQTT 3.1.1 §3.3.1.3).
    const late: Received[] = [];
    const lateSub = await subscriber(broker.url, [pointTopic(live[0])], late, "rc485-test-late");
    t.true(await until(() => late.length > 0, 30_000));
    lateSub.end(true);
    t.deepEqual(late.map((r) => [r.payload, r.retain]), [["offline", true]]);
    const other = s.conc.store.meters[0].meta;
    t.true(other.points.some((p) => latest(`rc485/home/${other.name}/${p.name}/availability`) === "online"), "the other meter stays available");

    s.meters[1].emulator.dead = false;
    s.runUntil(150_000_000);
    t.true(await until(() => all("online", live), 30_000), names.map((p) => `${p}=${latest(pointTopic(p))}`).join(","));

    // Only changes are published: no topic gets the same state twice in a row, and the live points saw exactly
    // offline (never read yet at connect), online, offline, online.
    await until(() => false, 200);
    for (const p of names) {
      const seq = rx.filter((r) => r.topic === pointTopic(p)).map((r) => r.payload);
      for (let i = 1; i < seq.length; i++) t.not(seq[i], seq[i - 1], `${p}: ${seq.join(",")}`);
    }
    t.deepEqual(rx.filter((r) => r.topic === pointTopic(live[0])).map((r) => r.payload), ["offline", "online", "offline", "online"]);
  } finally {
    if (s) await s.conc.stop(0);
    sub?.end(true);
    await broker.dispose();
  }
});
