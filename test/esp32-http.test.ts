// The ESP32 host's HTTP server and site storage against fakes that behave as the Moddable SDK's sources do
// (hosts/sim/esp32-http-fakes.ts, hosts/sim/esp32-fakes.ts): FakeHttpServer models modules/network/http/http.js over FakeLwipSocket, whose write throws
// "can't write all data" beyond the 8,192-byte send buffer (modSocket.c), and FakePreference enforces NVS's 15-character
// names and 4,000-byte values ("nvs set fail"). Checked: large bodies go out whole in pieces, one Content-Length (or
// chunked), PUT /api/site authenticated and its Content-Length screened before any body byte is read, failed tokens
// rate-limited, sites over one NVS value stored and read back, torn writes detected, the admin token's build rules, and
// the repeater's MQTT TLS options.
import test from "ava";
import { parseMqttSettings } from "../modules/forwarding/config";
import { checkSite, profileTable } from "../modules/site/site";
import { deviceConfig } from "../hosts/esp32/device-config";
import { deviceGatewayConfig, gatewayWarnings } from "../hosts/esp32/gateway-service";
import { FREE_FAILURES, HttpRoutes, tokenMatches } from "../hosts/esp32/http-routes";
import { bodyLimit, startHttpServer, WHOLE_BODY_MAX, type HttpServerClass } from "../hosts/esp32/http-server";
import { MqttForwarder, type MqttPlatform } from "../hosts/esp32/mqtt-forwarder";
import { mqttTlsOptions } from "../hosts/esp32/mqtt-tls";
import { loadSite, readStoredSite, PREF_DOMAIN, PREF_SITE, SITE_MAX_BYTES, storeSite } from "../hosts/esp32/site-store";
import { FakeEsp32, FakePreference } from "../hosts/sim/esp32-fakes";
import { FakeHttpServer, FakeLwipSocket } from "../hosts/sim/esp32-http-fakes";
import { statusPageBytes } from "../hosts/node/status-page-files";
import { Simulation } from "../hosts/sim/index";
import { FIXTURE_PROFILES } from "./fixtures/maps";
import { JsonWriter } from "../modules/forwarding/json-writer";
import { HistoryPieces, MetersPieces, healthPieces, writeAll, type JsonPieces } from "../modules/forwarding/status-stream";
import { syntheticSite } from "./harness/synthetic-site";

const TOKEN = "0123456789abcdef-token";
const profiles = profileTable(FIXTURE_PROFILES);
const check = (json: unknown) => {
  const r = checkSite(json, profiles);
  return r.ok ? [] : r.errors;
};

/** A valid site of about `bytes` bytes (padding in meter names). */
function siteOf(bytes: number): string {
  const meters: Record<string, unknown>[] = [];
  let text = "";
  for (let unit = 1; unit <= 200; unit++) {
    meters.push({ name: `meter-${unit}-${"x".repeat(40)}`, profile: "fixture-sdm120", unit, intervalMs: 5000 });
    text = JSON.stringify({ bus: { port: "uart2", baud: 9600, framing: "8N1" }, meters });
    if (text.length >= bytes) break;
  }
  return text;
}

function rig(options: { freeHeap?: number; capacity?: number; meters?: string } = {}) {
  let now = 0;
  const prefs = new FakePreference(options.capacity);
  const stored: string[] = [];
  const routes = new HttpRoutes({
    adminToken: TOKEN,
    now: () => now,
    checkSite: check,
    accept: (text) => { storeSite(prefs, text); stored.push(text); },
    documents: { "/api/meters": () => options.meters ?? "{}" },
    statusFile: statusPageBytes,
  });
  startHttpServer(routes, { Server: FakeHttpServer as unknown as HttpServerClass, port: 80, freeHeap: () => options.freeHeap ?? 1e6 });
  const server = FakeHttpServer.last!;
  return {
    prefs, stored, routes,
    advance(us: number) { now += us; },
    send(request: string) {
      const c = server.connect(request);
      c.run();
      return { c, r: c.response() };
    },
  };
}

function put(body: string, headers: Record<string, string>): string {
  return `PUT /api/site HTTP/1.1\r\nHost: esp\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n${body}`;
}

const auth = { Authorization: `Bearer ${TOKEN}` };

test("the fake lwIP socket refuses a write beyond its 8,192-byte send buffer, as the SDK's does", (t) => {
  const s = new FakeLwipSocket();
  t.is(s.write(), 8192);
  t.throws(() => s.write(new Uint8Array(8193)), { message: "can't write all data" });
  t.is(s.inFlight, 0, "nothing written");
  s.write("é".repeat(4096)); // 8,192 UTF-8 bytes
  t.is(s.write(), 0);
  t.is(s.ack(1000), 1000);
  t.is(s.write(), 1000);
});

test("bodies larger than the send buffer (/app.js, a 13 KB /api/meters with non-ASCII text) arrive whole, chunked, without a Content-Length", (t) => {
  const meters = JSON.stringify({ meters: Array.from({ length: 90 }, (_, i) => ({ name: `m${i}`, unit: "°C", value: i * 1.5, pad: "µ".repeat(60) })) });
  t.true(Buffer.byteLength(meters) > 13000);
  const r = rig({ meters });
  const appJs = Buffer.from(statusPageBytes("app.js.txt")).toString("utf8");
  t.true(Buffer.byteLength(appJs) > 8192, "app.js is larger than the send buffer");
  for (const [path, expected] of [["/app.js", appJs], ["/api/meters", meters]]) {
    const { c, r: res } = r.send(`GET ${path} HTTP/1.1\r\nHost: esp\r\n\r\n`);
    t.false(c.errored, path);
    t.is(c.socket.refusedWrites, 0);
    t.true(c.done, "the connection is completed and closed");
    t.is(res.status, 200);
    t.true(res.complete, "terminating chunk received");
    t.deepEqual(res.headers.get("transfer-encoding"), ["chunked"]);
    t.is(res.headers.get("content-length"), undefined, "no Content-Length beside chunked (RFC 9112 §6.1)");
    t.is(res.body, expected);
  }
  // Acknowledged a minimum-size segment (536 B) at a time: smaller pieces, same body.
  const slow = FakeHttpServer.last!.connect("GET /api/meters HTTP/1.1\r\n\r\n");
  const events = slow.run(536);
  t.true(events >= 10, String(events));
  t.is(slow.response().body, meters);
  t.true(slow.response().complete);
  // What the SDK does with such a body given whole: one write, refused by lwIP, the connection closed on error.
  const whole = new FakeHttpServer({ port: 80 });
  whole.callback = function (m: number) { return m === FakeHttpServer.prepareResponse ? { status: 200, headers: [], body: Buffer.from(appJs).buffer } : undefined; };
  const c = whole.connect("GET /app.js HTTP/1.1\r\n\r\n");
  c.run();
  t.true(c.errored);
  t.is(c.socket.refusedWrites, 1);
});

test("JSON documents in pieces (/api/meters, /api/history of the synthetic site) go out from the server's one buffer: the same text as written whole, chunked, also when each fragment is small", (t) => {
  const s = syntheticSite();
  const pieces: Record<string, () => JsonPieces> = {
    "/api/meters": () => new MetersPieces(s.store, s.nowUs, s.nowMs),
    "/api/history": () => new HistoryPieces(s.store, s.nowUs, s.nowMs),
    "/api/health": () => healthPieces(s.store, s.nowMs, { bus: { frames: 3 } }),
  };
  const routes = new HttpRoutes({ adminToken: TOKEN, now: () => 0, checkSite: check, accept: () => {}, documents: pieces });
  startHttpServer(routes, { Server: FakeHttpServer as unknown as HttpServerClass, port: 80, freeHeap: () => 1e6 });
  const server = FakeHttpServer.last!;
  for (const path of Object.keys(pieces)) {
    const w = new JsonWriter(256 * 1024);
    t.true(writeAll(pieces[path](), w));
    const expected = w.text();
    for (const ackBytes of [undefined, 536]) {
      const c = server.connect(`GET ${path} HTTP/1.1\r\nHost: esp\r\n\r\n`);
      c.run(ackBytes);
      const res = c.response();
      t.false(c.errored, path);
      t.is(c.socket.refusedWrites, 0, path);
      t.is(res.status, 200);
      t.true(res.complete, path);
      t.is(res.body, expected, `${path}, acknowledged ${ackBytes ?? "all"} bytes at a time`);
      if (Buffer.byteLength(expected) > WHOLE_BODY_MAX) t.deepEqual(res.headers.get("transfer-encoding"), ["chunked"], path);
      else t.deepEqual(res.headers.get("content-length"), [String(Buffer.byteLength(expected))], path);
    }
    t.not(JSON.parse(expected), null);
  }
});

test("a small response carries exactly one Content-Length, the UTF-8 byte count", (t) => {
  const body = JSON.stringify({ t: "21.5 °C" });
  const r = rig({ meters: body });
  const { r: res } = r.send("GET /api/meters HTTP/1.1\r\n\r\n");
  t.true(Buffer.byteLength(body) <= WHOLE_BODY_MAX);
  t.deepEqual(res.headers.get("content-length"), [String(Buffer.byteLength(body))]);
  t.is(res.body, body);
  t.true(res.complete);
});

test("PUT /api/site: token, Content-Length and size are decided before any body byte is read", (t) => {
  const r = rig({ freeHeap: 4 * 3000 });
  const site = siteOf(500);
  const cases: [Record<string, string>, number, RegExp][] = [
    [{ "Content-Length": String(site.length) }, 401, /bearer token/],
    [{ ...auth, "Content-Length": "99999999x" }, 400, /decimal number/],
    [{ ...auth, "Content-Length": "-5" }, 400, /decimal number/],
    [{ ...auth }, 411, /required/],
    [{ ...auth, "Content-Length": "99999999" }, 413, /at most 3000/],
    [{ ...auth, "Content-Length": "3001" }, 413, /heap/],
  ];
  for (const [headers, status, error] of cases) {
    r.routes.failures = 0;
    const { c, r: res } = r.send(put(site, headers));
    t.is(res.status, status, JSON.stringify(headers));
    t.regex(JSON.parse(res.body).error, error);
    t.is(c.bodyBytesRead, 0, "the body was left unread");
    t.true(c.done);
  }
  t.is(r.stored.length, 0);
  // Duplicate Content-Length headers are refused too.
  t.is(r.send(put(site, { ...auth, "Content-Length": String(site.length), "content-length": String(site.length) })).r.status, 400);
  // A GET with a body: answered, body unread.
  const get = r.send("GET /api/meters HTTP/1.1\r\nContent-Length: 99999999x\r\n\r\nabc");
  t.is(get.r.status, 400);
  t.is(get.c.bodyBytesRead, 0);
  const ok = r.send(put(site, { ...auth, "Content-Length": String(site.length) }));
  t.is(ok.r.status, 200, ok.r.body);
  t.is(ok.c.bodyBytesRead, site.length);
  t.deepEqual(r.stored, [site]);
  t.is(bodyLimit(1e9), SITE_MAX_BYTES);
  t.is(bodyLimit(4000), 1000);
});

test("one site upload at a time: a second one while a body is coming gets 503; the slot is freed when the first ends", (t) => {
  const r = rig();
  const site = siteOf(2000);
  const headers = { ...auth, "Content-Length": String(site.length) };
  const server = FakeHttpServer.last!;
  const first = server.connect(put(site.slice(0, 500), headers)); // the rest of the body has not arrived
  t.false(first.done);
  t.is(r.send(put(site, headers)).r.status, 503);
  first.disconnect();
  const again = r.send(put(site, headers));
  t.is(again.r.status, 200, again.r.body);
  t.is(r.send(put(site, headers)).r.status, 200, "freed after an answer too");
});

test("failed tokens are rate-limited: a lock-out doubling from 1 s, even the right token waits, a success resets", (t) => {
  const r = rig();
  const site = siteOf(300);
  const req = (token: string) => r.send(put(site, { Authorization: `Bearer ${token}`, "Content-Length": String(site.length) })).r;
  for (let i = 0; i < FREE_FAILURES; i++) t.is(req("wrong-token-guess-0000").status, 401);
  t.is(req("wrong-token-guess-0001").status, 401); // starts a 1 s lock-out
  const locked = req(TOKEN);
  t.is(locked.status, 429);
  t.deepEqual(locked.headers.get("retry-after"), ["1"]);
  r.advance(1.01e6);
  t.is(req("wrong-token-guess-0002").status, 401); // 2 s now
  r.advance(1.5e6);
  t.is(req(TOKEN).status, 429);
  r.advance(0.6e6);
  t.is(req(TOKEN).status, 200);
  t.is(r.routes.failures, 0);
  t.is(req("wrong-token-guess-0003").status, 401, "a success reset the count");
});

test("tokens: constant-time comparison semantics; the build refuses a short admin token and says how to set one", (t) => {
  t.true(tokenMatches(TOKEN, TOKEN));
  t.false(tokenMatches(TOKEN.slice(0, -1), TOKEN));
  t.false(tokenMatches(`${TOKEN}x`, TOKEN));
  t.false(tokenMatches("", ""));
  t.false(tokenMatches(TOKEN.replace("0", "1"), TOKEN));
  t.is(deviceConfig({ adminToken: "" }).adminToken, "");
  t.is(deviceConfig({ adminToken: TOKEN }).adminToken, TOKEN);
  t.throws(() => deviceConfig({ adminToken: "short" }), { instanceOf: RangeError, message: /config\.adminToken must be at least 16 characters \(mcconfig … adminToken=/ });
});

test("NVS: a value over 4,000 bytes is refused by the fake as by the SDK; a 10 KB site is stored across values and read back", (t) => {
  const prefs = new FakePreference();
  t.throws(() => prefs.set(PREF_DOMAIN, PREF_SITE, "x".repeat(4000)), { message: "nvs set fail" });
  t.throws(() => prefs.set(PREF_DOMAIN, "a-key-of-16-char", "x"), { message: "nvs set fail" });
  prefs.set(PREF_DOMAIN, PREF_SITE, "x".repeat(3999));
  const big = siteOf(10000);
  t.true(big.length > 4000);
  const r = rig();
  const res = r.send(put(big, { ...auth, "Content-Length": String(Buffer.byteLength(big)) })).r;
  t.is(res.status, 200, res.body);
  t.is(readStoredSite(r.prefs).text, big);
  for (const v of r.prefs.map.values()) t.true(FakePreference.sizeOf(v) <= 4000);
  const loaded = loadSite(r.prefs, JSON.stringify(JSON.parse(siteOf(100))), check);
  t.is(loaded.source, "stored");
  t.deepEqual(loaded.json, JSON.parse(big));
  // Multi-byte text is cut on character boundaries.
  const p2 = new FakePreference();
  const accented = JSON.stringify({ note: "é€😀".repeat(1000) });
  storeSite(p2, accented);
  t.is(readStoredSite(p2).text, accented);
  // Over the device's limit: refused with the reason, nothing written.
  const p3 = new FakePreference();
  t.throws(() => storeSite(p3, "x".repeat(SITE_MAX_BYTES + 1)), { instanceOf: RangeError, message: /stores at most 11900/ });
  t.is(p3.writes, 0);
});

test("NVS full or a write cut midway: a clear error (507), and the next boot runs the build default with the reason", (t) => {
  const big = siteOf(9000);
  const r = rig({ capacity: 6000 });
  const res = r.send(put(big, { ...auth, "Content-Length": String(big.length) })).r;
  t.is(res.status, 507);
  t.regex(JSON.parse(res.body).error, /could not store the site in NVS \(nvs set fail\)/);
  const build = siteOf(100);
  const boot = loadSite(r.prefs, build, check);
  t.is(boot.source, "build");

  // A power cut after the first piece of a rewrite: the header is gone, the build default runs.
  const prefs = new FakePreference();
  storeSite(prefs, siteOf(5000));
  prefs.cutAfterWrites = 1;
  t.throws(() => storeSite(prefs, siteOf(9000)), { message: /could not store/ });
  const after = loadSite(prefs, build, check);
  t.is(after.source, "build");
  // Pieces rewritten under an old header: the length/CRC check catches the mix.
  const p4 = new FakePreference();
  const first = siteOf(9000);
  storeSite(p4, first);
  const header = p4.get(PREF_DOMAIN, PREF_SITE) as string;
  storeSite(p4, first.replace(/"intervalMs":5000/g, '"intervalMs":6000'));
  p4.set(PREF_DOMAIN, PREF_SITE, header);
  t.regex(loadSite(p4, build, check).note, /length\/CRC/);
  // The single-value format of earlier firmware is still read.
  const legacy = new FakePreference();
  legacy.set(PREF_DOMAIN, PREF_SITE, siteOf(200));
  t.is(loadSite(legacy, build, check).source, "stored");
});

test("MQTT over TLS: both roles build the same TLS options from the settings; a forwarder without them refuses mqtts://", (t) => {
  const settings = parseMqttSettings({ url: "mqtts://broker.example:8883", ca: "ca.der" });
  const der = new Uint8Array([0x30, 0x82]).buffer;
  const resources = { exists: (n: string) => n === "ca.der", read: () => der };
  t.deepEqual(mqttTlsOptions(settings, resources), { verify: true, certificate: der });
  t.deepEqual(mqttTlsOptions(parseMqttSettings({ url: "mqtts://b:8883", rejectUnauthorized: false }), resources), { verify: false });
  t.is(mqttTlsOptions(parseMqttSettings({ url: "mqtt://b" }), resources), undefined);
  t.throws(() => mqttTlsOptions(parseMqttSettings({ url: "mqtts://b", ca: "nope.der" }), resources), { message: /no resource "nope\.der"/ });
  const sim = new Simulation({ seed: 1 });
  const board = new FakeEsp32(sim.queue, { name: "esp", uarts: [] });
  const base = { Client: class {} as unknown as MqttPlatform["Client"], Resolver: {}, UDP: {}, TCP: {}, TLS: {}, dnsServers: ["1.1.1.1"] };
  // What the repeater built before: TLS class, no options.
  t.throws(() => new MqttForwarder(board.io, base, settings, () => {}), { message: /no TLS socket or TLS options/ });
  t.notThrows(() => new MqttForwarder(board.io, { ...base, secure: mqttTlsOptions(settings, resources) }, settings, () => {}));
});

test("PUT /api/site answers the device's warnings with a stored site: a gateway bind the lwIP listener will not enforce", (t) => {
  const stored: string[] = [];
  const routes = new HttpRoutes({
    adminToken: TOKEN, now: () => 0, checkSite: check, accept: (text) => { stored.push(text); }, documents: {},
    siteWarnings: (json) => {
      const g = (json as { gateway?: unknown }).gateway;
      return g === undefined ? [] : gatewayWarnings(deviceGatewayConfig(g));
    },
  });
  const site = JSON.parse(siteOf(100));
  const plain = routes.handle("PUT", "/api/site", `Bearer ${TOKEN}`, JSON.stringify(site));
  t.is(JSON.parse(plain.body).warnings, undefined);
  const bound = routes.handle("PUT", "/api/site", `Bearer ${TOKEN}`, JSON.stringify({ ...site, gateway: { bind: "192.168.1.20" } }));
  t.is(bound.status, 200);
  t.regex(JSON.parse(bound.body).warnings[0], /bind "192\.168\.1\.20" is not enforced on an ESP32/);
  t.is(stored.length, 2);
});
