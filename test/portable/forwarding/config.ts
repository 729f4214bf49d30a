import { parseForwarding, parseMqttSettings, parseMqttUrl } from "../../../modules/forwarding/config";
import type { Cases, Check } from "../../harness/check";

function fails(t: Check, fn: () => unknown, starts: string): void {
  let msg = "";
  try { fn(); } catch (e) { msg = (e as Error).message; t.ok(e instanceof TypeError || e instanceof RangeError, "TypeError or RangeError"); }
  t.ok(msg.indexOf(starts) === 0, `'${msg}' starts with '${starts}'`);
  t.ok(msg.indexOf("\n") < 0, "one line");
}

export const cases: Cases = {
  "broker URLs: scheme, host, default and explicit ports, IPv6"(t) {
    t.deepEqual(parseMqttUrl("mqtt://127.0.0.1"), { tls: false, host: "127.0.0.1", port: 1883 });
    t.deepEqual(parseMqttUrl("mqtts://broker.lan"), { tls: true, host: "broker.lan", port: 8883 });
    t.deepEqual(parseMqttUrl("mqtt://broker:11883/"), { tls: false, host: "broker", port: 11883 });
    t.deepEqual(parseMqttUrl("MQTTS://[::1]:8884"), { tls: true, host: "[::1]", port: 8884 });
    t.deepEqual(parseMqttUrl("mqtt://[fe80::1]"), { tls: false, host: "[fe80::1]", port: 1883 });
  },
  "malformed URLs are refused naming the field"(t) {
    fails(t, () => parseMqttUrl(undefined), "forwarding.mqtt.url: required");
    fails(t, () => parseMqttUrl("broker:1883"), "forwarding.mqtt.url: 'broker:1883' is not a URL");
    fails(t, () => parseMqttUrl("http://broker"), "forwarding.mqtt.url: scheme 'http' is not supported");
    fails(t, () => parseMqttUrl("mqtt://u:p@broker"), "forwarding.mqtt.url: put credentials");
    fails(t, () => parseMqttUrl("mqtt://broker:0"), "forwarding.mqtt.url: port '0'");
    fails(t, () => parseMqttUrl("mqtt://broker:99999"), "forwarding.mqtt.url: port");
    fails(t, () => parseMqttUrl("mqtt://:1883"), "forwarding.mqtt.url: 'mqtt://:1883' has no host");
    fails(t, () => parseMqttUrl("mqtt://bro ker"), "forwarding.mqtt.url: 'mqtt://bro ker' is not a URL");
    fails(t, () => parseMqttUrl("mqtt://bro_ker"), "forwarding.mqtt.url: 'bro_ker' is not a host");
    fails(t, () => parseMqttUrl("mqtt://broker/topic"), "forwarding.mqtt.url: 'mqtt://broker/topic' is not a URL");
  },
  "defaults and options"(t) {
    const s = parseMqttSettings({ url: "mqtts://b", ca: "ca.pem", cert: "c.pem", key: "k.pem", site: "home", ring: 50 });
    t.is(s.ring, 50);
    t.is(s.window, 16);
    t.is(s.prefix, "rc485");
    t.is(s.discoveryPrefix, "homeassistant");
    t.is(s.discovery, true);
    t.is(s.rejectUnauthorized, true);
    t.is(s.backoffMinMs, 500);
    t.is(s.port, 8883);
    t.is(s.ringStore, undefined, "the ring lives in RAM unless a store is named");
    t.is(s.ringSyncMs, 200);
    const p = parseMqttSettings({ url: "mqtt://b", ringStore: "/var/lib/rc485/ring", ringSyncMs: 0 });
    t.is(p.ringStore, "/var/lib/rc485/ring");
    t.is(p.ringSyncMs, 0);
    const f = parseForwarding(undefined);
    t.is(f.mqtt, null);
    t.deepEqual(f.http, { enabled: true, host: "127.0.0.1", port: 8485 });
    t.deepEqual(parseForwarding({ http: { port: 0, host: "0.0.0.0" } }).http, { enabled: true, host: "0.0.0.0", port: 0 });
  },
  "bad options name the field and the allowed values"(t) {
    fails(t, () => parseMqttSettings({ url: "mqtt://b", ring: 0 }), "forwarding.mqtt.ring: 0 must be an integer 1..1000000");
    fails(t, () => parseMqttSettings({ url: "mqtt://b", colour: 1 }), "forwarding.mqtt.colour: unknown option (allowed: url,");
    fails(t, () => parseMqttSettings({ url: "mqtt://b", username: 5 }), "forwarding.mqtt.username: must be a string");
    fails(t, () => parseMqttSettings({ url: "mqtt://b", discovery: "yes" }), "forwarding.mqtt.discovery: must be true or false");
    fails(t, () => parseMqttSettings({ url: "mqtts://b", cert: "c" }), "forwarding.mqtt.cert/key: give both");
    fails(t, () => parseMqttSettings({ url: "mqtt://b", ca: "ca.pem" }), "forwarding.mqtt.ca/cert/key: TLS files need an mqtts:// URL");
    fails(t, () => parseMqttSettings({ url: "mqtt://b", backoffMinMs: 1000, backoffMaxMs: 100 }), "forwarding.mqtt.backoffMaxMs");
    fails(t, () => parseMqttSettings({ url: "mqtt://b", origin: {} }), "forwarding.mqtt.origin");
    fails(t, () => parseMqttSettings([]), "forwarding.mqtt: must be an object");
    fails(t, () => parseMqttSettings({ url: "mqtt://b", ringStore: "" }), "forwarding.mqtt.ringStore: must be a file path (Node) or a flash partition name (ESP32)");
    fails(t, () => parseMqttSettings({ url: "mqtt://b", ringStore: 3 }), "forwarding.mqtt.ringStore: must be a file path");
    fails(t, () => parseMqttSettings({ url: "mqtt://b", ringSyncMs: -1 }), "forwarding.mqtt.ringSyncMs: -1 must be an integer 0..60000");
    fails(t, () => parseMqttSettings({ url: "mqtt://b", ringSyncMs: 1.5 }), "forwarding.mqtt.ringSyncMs: 1.5 must be an integer 0..60000");
    fails(t, () => parseForwarding({ http: { port: 70000 } }), "forwarding.http.port: 70000 must be an integer 0..65535");
    fails(t, () => parseForwarding({ http: { host: "my host" } }), "forwarding.http.host");
    fails(t, () => parseForwarding({ smtp: {} }), "forwarding.smtp: unknown option");
  },
};
