// The command line as a user meets it: --version, exit status 2 with the usage text when a command or subcommand is
// missing, counted nouns, the live view of `rc485 sim` redrawn in place (checked in a real tmux pane: its scrollback
// must not grow with every redraw), and the reason an energy total shows "–" before the sanity filter confirms it.
import test from "ava";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { view } from "../hosts/node/commands/sim";
import { redrawInPlace } from "../hosts/node/live-view";
import { count } from "../hosts/node/plural";
import { SimPacer } from "../hosts/node/sim-pacer";
import { SimSite } from "../hosts/node/sim-site";
import { DEMO_SITE, readSiteFile } from "../hosts/node/site-file";
import { BIN, ROOT, rc485 } from "./harness/node-peers";

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

test("--version prints the package version", async (t) => {
  for (const flag of ["--version", "-V"]) {
    const r = await rc485([flag]);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout.trim(), `rc485 ${VERSION}`);
  }
});

test("a missing command or subcommand is bad usage: the usage text on stderr, exit status 2; --help exits 0", async (t) => {
  for (const args of [[], ["frame"], ["fec"]]) {
    const r = await rc485(args);
    t.is(r.code, 2, `rc485 ${args.join(" ")}`);
    t.is(r.stdout, "", "nothing on stdout");
    t.regex(r.stderr, /usage:/);
  }
  for (const args of [["--help"], ["frame", "--help"], ["fec", "--help"]]) {
    const r = await rc485(args);
    t.is(r.code, 0, `rc485 ${args.join(" ")}`);
    t.regex(r.stdout, /usage:/);
  }
});

test("counted nouns agree with their count", (t) => {
  t.is(count(1, "reading"), "1 reading");
  t.is(count(0, "reading"), "0 readings");
  t.is(count(2, "failed poll"), "2 failed polls");
  t.is(count(1, "entry", "entries"), "1 entry");
  t.is(count(3, "entry", "entries"), "3 entries");
});

test("rc485 plan: 1 meter, 1 read, 1 value", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "rc485-plural-"));
  try {
    const file = join(dir, "one.json");
    writeFileSync(file, JSON.stringify({ bus: { port: "/dev/null", baud: 9600, framing: "8N1" }, meters: [{ name: "m1", profile: "pymodbus-test", unit: 1, intervalMs: 1000, points: ["voltage"] }] }));
    const r = await rc485(["plan", "--site", file, "--profiles", join(ROOT, "test/fixtures/node/profiles")]);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /^plan: 1 meter, 1 read, 1 value per cycle;/m);
    t.regex(r.stdout, /^meter m1 \(unit 1, pymodbus-test\): 1 read, 1 value, /m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("rc485 fec correct: a code that corrects one byte says 'more than 1 error'", async (t) => {
  const p = await rc485(["fec", "parity", "--raw", "--nroots", "2", "01 03 00 00 00 02 C4 0B"]);
  t.is(p.code, 0, p.stderr);
  const r = await rc485(["fec", "correct", "--raw", "--nroots", "2", "01 03 FF FF 00 02 C4 0B", "--parity", p.stdout.trim()]);
  t.is(r.code, 1, r.stderr);
  t.is(r.stdout.trim(), "failed: more than 1 error in a codeword (uncorrectable)");
});

test("each frame of the live view moves home and erases what is left; only the first clears the screen", (t) => {
  const first = redrawInPlace("a\nbb", true, 80, 24);
  const next = redrawInPlace("a\nbb", false, 80, 24);
  t.is(first, "\x1b[2J\x1b[Ha\x1b[K\r\nbb\x1b[K\r\n\x1b[J");
  t.is(next, "\x1b[Ha\x1b[K\r\nbb\x1b[K\r\n\x1b[J");
  t.false(next.includes("\x1b[2J") || next.includes("\x1b[3J"));
  const tall = redrawInPlace(Array.from({ length: 50 }, (_, i) => `line ${i} ${"x".repeat(200)}`).join("\n"), false, 100, 30);
  const rows = tall.split("\r\n");
  t.is(rows.length, 30, "29 lines and the final erase: the frame never reaches the last row, so the screen cannot scroll");
  for (const r of rows.slice(0, -1)) t.true(r.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").length <= 100, "no line wraps");
});

test.serial("rc485 sim in a tmux pane: the view is redrawn in place, the scrollback does not grow", (t) => {
  const server = `rc485-test-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync("tmux", ["-L", server, ...args], { encoding: "utf8" });
  t.is(spawnSync("tmux", ["-V"]).status, 0, "tmux (Debian package tmux)");
  tmux("new-session", "-d", "-s", "v", "-x", "120", "-y", "40", "-c", ROOT,
    `${process.execPath} ${BIN} sim --duration 5 --speed 20 --no-http --no-gateway; sleep 60`);
  try {
    const end = Date.now() + 60_000;
    let screen = "";
    while (Date.now() < end && !/summary:/.test(screen)) {
      execFileSync("sleep", ["0.5"]);
      screen = tmux("capture-pane", "-p", "-t", "v");
    }
    t.regex(screen, /summary: \d+ s of site time/, screen);
    t.regex(screen, /^rc485 sim .* site time /m, "the last frame of the view is on the screen above the summary");
    const history = Number(tmux("display", "-p", "-t", "v", "#{history_size}").trim());
    // About ten frames were drawn; clearing the screen for each would have pushed every one of them into the scrollback.
    t.true(history <= 5, `scrollback holds ${history} lines`);
  } finally {
    spawnSync("tmux", ["-L", server, "kill-server"]);
  }
});

test("the live view says why an energy total shows – until the sanity filter has confirmed it", async (t) => {
  const l = readSiteFile(DEMO_SITE);
  if (!l.site) throw new Error(l.errors.join("\n"));
  const s = await SimSite.create(l.site, l.simulation, { seed: 1, epochMs: Date.UTC(2026, 10, 21), http: { enabled: false }, gateway: { enabled: false } });
  try {
    const pace = new SimPacer(s, { speed: 1, wallMs: () => s.sim.now / 1000 });
    s.runUntil(12_000_000);
    const early = view(s, "demo", pace, null, []);
    t.regex(early, /^workshop .* – /m, "two readings in: the workshop's total is not shown yet");
    t.regex(early, /energy – \(.*workshop.*\): the total is held back until the sanity filter has confirmed it with 3 consistent readings/);
    s.runUntil(120_000_000);
    const later = view(s, "demo", pace, null, []);
    t.notRegex(later, /held back/);
    t.notRegex(later, /^workshop .* – /m);
  } finally {
    await s.conc.stop(0);
  }
});
