// The command line never answers bad input with a stack trace or a hang. Named cases first (issue 20 item 7 and issue 12
// item 4): a site nested 5,000 deep, /dev/zero or a FIFO as a site or CA file, lowercase framing in `rc485 repeat`,
// `--profiles` naming a file, the simulation section's loadShare "x"; `--profiles` meaning the shipped profiles plus each
// folder, later ones overriding by id, for plan, sim and run alike. Then a seeded fuzz run: 2,600 command lines built from
// the commands' own options, good and bad values and a pool of broken files, run in-process through the CLI's entry
// function with stdout and stderr captured (each bounded in time), and a sample spawned as real processes. Every case must
// end within its bound with exit status 0, 1 or 2, print no stack trace ("    at …" lines) and never reach the CLI's
// internal-error net (an error without its own message).
import test from "ava";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { main } from "../hosts/node/cli";
import { show } from "../modules/common/json-check";
import { checkSite, profileTable } from "../modules/site/site";
import { Prng } from "../modules/common/prng";
import { BIN, ROOT } from "./harness/node-peers";

const dir = mkdtempSync(join(tmpdir(), "rc485-cli-fuzz-"));
const demo = JSON.parse(readFileSync(join(ROOT, "sites/demo.json"), "utf8")) as Record<string, unknown>;
const file = (name: string, text: string | Buffer): string => { const p = join(dir, name); writeFileSync(p, text); return p; };
const deep = (n: number) => `{"bus": {"port": "/dev/null", "baud": 9600, "framing": "8N1"}, "meters": ${"[".repeat(n)}${"]".repeat(n)}}`;
const withSim = (meters: Record<string, unknown>) => JSON.stringify({ ...demo, simulation: { ...(demo.simulation as object), meters } });
const FIFO = join(dir, "fifo");
execFileSync("mkfifo", [FIFO]);
const FILES = {
  deep: file("deep.json", deep(5000)),
  deepObject: file("deep-object.json", `{"bus": ${'{"a":'.repeat(5000)}1${"}".repeat(5000)}, "meters": []}`),
  loadShare: file("loadshare.json", withSim({ house: { loadShare: "x" } })),
  repeater8n1: file("repeat-8n1.json", JSON.stringify({ repeater: { sideA: { port: "/dev/null", baud: 9600, framing: "8n1" }, sideB: { port: "/dev/null", baud: 9600, framing: "8N1" } } })),
  truncated: file("truncated.json", JSON.stringify(demo).slice(0, 200)),
  binary: file("binary.json", Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff))),
  empty: file("empty.json", ""),
  nullSite: file("null.json", "null"),
  arraySite: file("array.json", "[1,2,3]"),
  gatewayOnly: file("gateway-only.json", JSON.stringify({ bus: { port: "/nonexistent/tty", baud: 9600, framing: "8N1" }, meters: [], gateway: { port: 0 } })),
  caZero: file("ca-zero.json", JSON.stringify({ ...demo, forwarding: { mqtt: { url: "mqtts://127.0.0.1:1", ca: "/dev/zero" } } })),
};
const profileFile = join(ROOT, "package.json");

interface Outcome { code: number | "hang"; out: string; err: string }

/** Runs `rc485 ARGS` in this process through main(), stdout/stderr captured, bounded by `limitMs`. */
// The limits tell a hang (which never ends) from a slow case; they are generous because a loaded two-core machine runs a
// short `sim` case or a spawned Node start-up many times slower than an idle one.
async function inProcess(args: string[], limitMs = 30000): Promise<Outcome> {
  let out = "";
  let err = "";
  const saved = { log: console.log, error: console.error, warn: console.warn, info: console.info, ow: process.stdout.write, ew: process.stderr.write };
  const text = (a: unknown[]) => a.map((x) => (typeof x === "string" ? x : String(x))).join(" ") + "\n";
  console.log = (...a: unknown[]) => { out += text(a); };
  console.info = console.log;
  console.error = (...a: unknown[]) => { err += text(a); };
  console.warn = console.error;
  process.stdout.write = ((c: string | Uint8Array) => { out += String(c); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => { err += String(c); return true; }) as typeof process.stderr.write;
  let timer: NodeJS.Timeout | undefined;
  try {
    const code = await Promise.race([
      main(args).catch((e: unknown) => { err += `UNCAUGHT ${String((e as Error)?.stack ?? e)}\n`; return 99; }),
      new Promise<"hang">((r) => { timer = setTimeout(() => r("hang"), limitMs); }),
    ]);
    return { code, out, err };
  } finally {
    clearTimeout(timer);
    Object.assign(console, { log: saved.log, error: saved.error, warn: saved.warn, info: saved.info });
    process.stdout.write = saved.ow;
    process.stderr.write = saved.ew;
  }
}

function spawned(args: string[], limitMs = 60000): Promise<Outcome> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    c.stdout.on("data", (d) => { out += String(d); });
    c.stderr.on("data", (d) => { err += String(d); });
    let hung = false;
    const timer = setTimeout(() => { hung = true; c.kill("SIGKILL"); }, limitMs);
    c.on("close", (code) => { clearTimeout(timer); resolve({ code: hung ? "hang" : code ?? -1, out, err }); });
  });
}

const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>)$/m;
function problems(o: Outcome): string[] {
  const p: string[] = [];
  if (o.code === "hang") p.push("hang");
  else if (o.code !== 0 && o.code !== 1 && o.code !== 2) p.push(`exit ${o.code}`);
  if (STACK.test(o.err) || STACK.test(o.out)) p.push("stack trace");
  if (/internal error|UNCAUGHT/.test(o.err)) p.push("internal error");
  return p;
}

test.after.always(() => rmSync(dir, { recursive: true, force: true }));

test.serial("named bad inputs: each is one line and exit status 2", async (t) => {
  const cases: [string[], RegExp][] = [
    [["plan", "--site", FILES.deep], /nested deeper than 32 levels/],
    [["sim", "--site", FILES.deepObject, "--no-http"], /nested deeper than 32 levels/],
    [["run", "--site", "/dev/zero"], /\/dev\/zero: larger than 4194304 bytes/],
    [["sim", "--site", FIFO, "--no-http"], /fifo: not valid JSON/],
    [["repeat", "--site", FILES.repeater8n1], /\$\.repeater\.sideA\.framing must be one of 8N1, 8E1, 8O1, 8N2 \(got "8n1"\)/],
    [["repeat", "--site", "/dev/zero"], /larger than/],
    [["plan", "--site", "sites/demo.json", "--profiles", profileFile], /--profiles .*package\.json: not a folder/],
    [["sim", "--site", "sites/demo.json", "--profiles", profileFile, "--no-http"], /not a folder/],
    [["run", "--site", "sites/demo.json", "--profiles", "/nonexistent-profiles"], /--profiles \/nonexistent-profiles: no such folder/],
    [["sim", "--site", FILES.loadShare, "--no-http"], /\$\.simulation\.meters\.house\.loadShare: must be a number from 0 to 10 \(got "x"\)/],
    [["run", "--site", FILES.loadShare], /loadShare/],
    [["plan", "--site", dir], /is a folder, not a file/],
    [["sim", "--site", FILES.caZero, "--no-http", "--duration", "1"], /forwarding\.mqtt\.ca: \/dev\/zero: larger than/],
  ];
  for (const [args, re] of cases) {
    const o = await inProcess(args);
    t.is(o.code, 2, `${args.join(" ")}: ${o.err}`);
    t.regex(o.err, re, args.join(" "));
    t.deepEqual(problems(o), [], args.join(" "));
    t.true(o.err.trim().split("\n").length <= 3, `${args.join(" ")}: a line or so, got ${o.err}`);
  }
});

test.serial("show() never throws or recurses on deep values; a deep site value is reported in one short line", (t) => {
  let v: unknown = 1;
  for (let i = 0; i < 100000; i++) v = [v];
  t.is(show(v), "[…1 items]");
  const r = checkSite({ bus: { port: "x", baud: 9600, framing: "8N1" }, meters: [v] }, profileTable([]));
  t.false(r.ok);
  if (!r.ok) t.true(r.errors.every((e) => e.length < 300 && !e.includes("\n")), r.errors.join("\n"));
});

test.serial("--profiles: the shipped profiles plus each folder, a later folder overriding by id, for plan, sim and run", async (t) => {
  const a = join(dir, "profiles-a");
  const b = join(dir, "profiles-b");
  mkdirSync(a);
  mkdirSync(b);
  const shipped = JSON.parse(readFileSync(join(ROOT, "profiles/eastron-sdm120.json"), "utf8")) as Record<string, unknown>;
  // Folder a adds a profile of its own (a renamed copy); folder b overrides the shipped sdm120 with a broken one
  // (its first point renamed), so a site asking for that point fails only when b is loaded after the shipped set.
  writeFileSync(join(a, "my-meter.json"), JSON.stringify({ ...shipped, id: "my-meter" }));
  const points = (shipped.points as { name: string }[]).map((p, i) => (i === 0 ? { ...p, name: "renamed_point" } : p));
  // (Its signature names the renamed point: left out, so the overriding profile itself is valid.)
  writeFileSync(join(b, "eastron-sdm120.json"), JSON.stringify({ ...shipped, points, signature: undefined }));
  const first = (shipped.points as { name: string }[])[0].name;
  const site = file("profiles-site.json", JSON.stringify({ bus: { port: "/nonexistent/tty", baud: 9600, framing: "8N1" },
    meters: [{ name: "mine", profile: "my-meter", unit: 1, intervalMs: 1000 }, { name: "stock", profile: "eastron-sdm120", unit: 2, intervalMs: 1000, points: [first] }] }));
  for (const cmd of ["plan", "sim", "run"]) {
    const extra = cmd === "sim" ? ["--no-http", "--no-gateway", "--duration", "0.5", "--speed", "100"] : cmd === "run" ? ["--duration", "0.1"] : [];
    const without = await inProcess([cmd, "--site", site, ...extra]);
    t.is(without.code, 2, `${cmd} without --profiles`);
    t.regex(without.err, /unknown profile "my-meter"/, cmd);
    const withA = await inProcess([cmd, "--site", site, "--profiles", a, ...extra]);
    t.notRegex(withA.err, /unknown profile|unknown point/, `${cmd} --profiles a: shipped + a (${withA.err})`);
    if (cmd === "plan") t.is(withA.code, 0);
    if (cmd === "run") t.regex(withA.err, /\/nonexistent\/tty/, "run got as far as opening the port");
    const withAB = await inProcess([cmd, "--site", site, "--profiles", a, "--profiles", b, ...extra]);
    t.is(withAB.code, 2, `${cmd} --profiles a --profiles b`);
    t.regex(withAB.err, new RegExp(`unknown point "${first}" in profile eastron-sdm120`), `${cmd}: b overrides the shipped sdm120`);
    for (const o of [without, withA, withAB]) t.deepEqual(problems(o), [], cmd);
  }
});

// ---- the fuzz run ----

const COMMANDS: Record<string, { values: string[]; flags: string[]; words?: string[] }> = {
  frame: { values: ["as"], flags: ["json"], words: ["decode", "encode", "x"] },
  fec: { values: ["nroots", "depth", "parity"], flags: ["raw"], words: ["parity", "correct", "x"] },
  plan: { values: ["site", "profiles"], flags: ["json"] },
  read: { values: ["port", "baud", "framing", "unit", "function", "address", "count", "type", "order", "timeout", "retries"], flags: ["rts", "json"] },
  repeat: { values: ["site", "duration", "every"], flags: ["json"] },
  run: { values: ["site", "port", "http-port", "duration", "profiles", "gateway-port"], flags: ["rts", "json", "no-gateway"] },
  sim: { values: ["site", "seed", "speed", "duration", "http-port", "profiles", "gateway-port"], flags: ["json", "no-http", "no-gateway"] },
};
const SITE_POOL = [...Object.values(FILES), "/dev/zero", FIFO, dir, "/nonexistent/site.json", profileFile];
const VALUE_POOL = ["", "0", "-1", "1", "2", "7", "8n1", "8N1", "8E2", "9600", "19200", "1e309", "NaN", "0x10", "0x", "65536", "99999999999999999999",
  "abc", "--json", "=", "f32", "u64", "ABCD", "cdab", "request", "response", "01 03 00 00 00 01 84 0A", "zz", "1.5", " ", "\u0000", "💥", "/dev/null",
  "/dev/zero", "/nonexistent/tty", "a".repeat(5000)];
const HEX_POOL = ["01 03 00 00 00 01 84 0A", "01", "0103", "01 03 02 00 2A 39 9A", "GG", "0".repeat(600), "01 10 00 00 00 02 04 00 01", "FF FF FF FF"];

function pick<T>(r: Prng, a: readonly T[]): T { return a[r.nextRange(0, a.length - 1)]; }

function fuzzCase(r: Prng): string[] {
  const names = Object.keys(COMMANDS);
  if (r.nextFloat() < 0.03) return r.nextFloat() < 0.5 ? [] : [pick(r, ["help", "--help", "nope", "-x", "SIM", ""])];
  const cmd = pick(r, names);
  const spec = COMMANDS[cmd];
  const args = [cmd];
  if (spec.words && r.nextFloat() < 0.9) args.push(pick(r, spec.words));
  const n = r.nextRange(0, 6);
  for (let i = 0; i < n; i++) {
    const roll = r.nextFloat();
    if (roll < 0.55) {
      const name = r.nextFloat() < 0.92 ? pick(r, spec.values) : pick(r, ["bogus", "", "site=", "-"]);
      const value = name === "site" || name === "profiles" ? pick(r, r.nextFloat() < 0.85 ? SITE_POOL : VALUE_POOL) : pick(r, VALUE_POOL);
      if (r.nextFloat() < 0.3) args.push(`--${name}=${value}`);
      else { args.push(`--${name}`); if (r.nextFloat() < 0.95) args.push(value); }
    } else if (roll < 0.75) args.push(`--${pick(r, spec.flags)}`);
    else if (roll < 0.9 && (cmd === "frame" || cmd === "fec")) args.push(pick(r, HEX_POOL));
    else args.push(pick(r, VALUE_POOL));
  }
  // Commands that would run until stopped, or touch the network, stay bounded and local.
  if (cmd === "sim") args.push("--no-http", "--no-gateway", "--duration", "0.2", "--speed", "1000");
  if (cmd === "run" || cmd === "repeat") args.push("--duration", "0.2");
  if (cmd === "run") args.push("--no-gateway", "--http-port", "0");
  return args;
}

test.serial("fuzz: 2,600 seeded command lines in-process and 12 spawned: no stack trace, no hang, exit status 0/1/2", async (t) => {
  // A minute alone; more than ava's 120 s on a loaded two-core machine (a hang is caught per case, above).
  t.timeout(10 * 60_000);
  const r = new Prng(20261203);
  const failures: string[] = [];
  const codes = [0, 0, 0];
  const IN_PROCESS = 2600;
  for (let i = 0; i < IN_PROCESS; i++) {
    const args = fuzzCase(r);
    const o = await inProcess(args);
    const p = problems(o);
    if (p.length > 0) failures.push(`${p.join(", ")}: rc485 ${args.map((a) => JSON.stringify(a).slice(0, 60)).join(" ")}\n${o.err.slice(0, 600)}`);
    else codes[o.code as number]++;
  }
  const sample = new Prng(7);
  for (let i = 0; i < 12; i++) {
    const args = fuzzCase(sample).map((a) => a.replace(/\0/g, "")); // argv cannot carry NUL
    const o = await spawned(args);
    const p = problems(o);
    if (p.length > 0) failures.push(`spawned: ${p.join(", ")}: rc485 ${args.join(" ")}\n${o.err.slice(0, 600)}`);
  }
  t.log(`in-process exit status 0: ${codes[0]}, 1: ${codes[1]}, 2: ${codes[2]}; failures ${failures.length}`);
  t.deepEqual(failures.slice(0, 5), [], `${failures.length} failing cases`);
  t.true(codes[2] > 1000, "most cases are bad input");
});
