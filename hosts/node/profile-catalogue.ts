// The profile catalogue as text: the list `rc485 profiles` prints, the detail of `rc485 profiles show NAME`, and the
// Markdown tables of docs/profiles.md (the catalogue) and docs/profile-points.md (the standard point keys).
// test/profile-catalogue.test.ts checks both documents still hold what these functions produce (regenerate with
// `npm run docs:profiles`), so the catalogue cannot drift from the profiles.
import type { Point, Profile } from "../../modules/concentrator/profile";
import { POINT_KEYS } from "../../modules/concentrator/point-keys";

const FN_NAMES: Record<number, string> = { 1: "coil", 2: "discrete input", 3: "holding", 4: "input" };

/** Phase count a profile reads: 3 with any L2/L3 point, DC for a DC channel, else 1. */
export function phasesOf(p: Profile): string {
  if (p.points.some((x) => /_l[23](_|$)/.test(x.name))) return "3";
  if (p.points.some((x) => x.name.endsWith("_dc"))) return "DC";
  return "1";
}

function framingOf(p: Profile): string {
  return `${p.serial.baud} ${p.serial.framing}`;
}

/** Short notes on a profile's request limits (what the planner must honour). */
export function capsOf(p: Profile): string {
  const l = p.limits;
  const caps = [`≤ ${l.maxRegisters} reg`];
  if (l.evenCountsOnly) caps.push("even counts");
  if (l.evenStartOnly) caps.push("even starts");
  if (l.minDelayMs > 0) caps.push(`${l.minDelayMs} ms gap`);
  if (l.responseTimeoutMs > 0) caps.push(`${l.responseTimeoutMs} ms timeout`);
  caps.push(`FC ${l.functions.join("/")}`);
  return caps.join(", ");
}

function sorted(profiles: readonly Profile[]): Profile[] {
  return [...profiles].sort((a, b) => a.manufacturer.localeCompare(b.manufacturer) || a.id.localeCompare(b.id));
}

/** One line per profile: id, maker, model, framing default, phases, points. */
export function profileList(profiles: readonly Profile[]): string {
  const rows = sorted(profiles).map((p) => [p.id, p.manufacturer, p.model, framingOf(p), phasesOf(p), String(p.points.length)]);
  const head = ["profile", "maker", "model", "serial", "phases", "points"];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c.padStart(width[i]) : c.padEnd(width[i]))).join("  ").trimEnd();
  return [line(head), ...rows.map(line), "", `${profiles.length} profiles (rc485 profiles show NAME for one)`].join("\n");
}

function valueRule(pt: Point): string {
  const parts: string[] = [pt.type];
  if (pt.words > 1) parts.push(pt.order);
  if (pt.scale !== 1) parts.push(`× ${pt.scale}`);
  if (pt.exponent !== 0) parts.push(`× 10^${pt.exponent}`);
  if (pt.exponentFrom) parts.push(`× 10^(${pt.exponentFrom.sign < 0 ? "-" : ""}reg ${pt.exponentFrom.address})`);
  if (pt.bit >= 0) parts.push(`bit ${pt.bit}`);
  return parts.join(" ");
}

/** Everything about one profile: identity, serial defaults, limits, sources and the point table. */
export function profileDetail(p: Profile): string {
  const out = [
    `${p.id}: ${p.manufacturer} ${p.model}`,
    p.description ? `  ${p.description}` : "",
    `  serial default: ${p.serial.baud} baud ${p.serial.framing}, unit ${p.serial.unit}`,
    `  limits: ${capsOf(p)}${p.limits.ratedPowerW > 0 ? `, rated ${p.limits.ratedPowerW} W` : ""}`,
    `  addresses: 0-based protocol addresses below (the profile numbers from ${p.addressBase})`,
    "  sources:",
    ...p.sources.map((s) => `    - ${s.title}\n      ${s.url}`),
    "",
  ].filter((x) => x !== "");
  const rows = p.points.map((pt) => [pt.name, pt.unit || "-", `${FN_NAMES[pt.function]} ${pt.address} (0x${pt.address.toString(16).padStart(4, "0")})`, valueRule(pt), pt.sourceName]);
  const head = ["key", "unit", "register", "value", "manual's name"];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(width[i]))).join("  ").trimEnd();
  out.push("", line(head), ...rows.map(line));
  return out.join("\n");
}

const md = (s: string) => s.replace(/\|/g, "\\|");

/** The catalogue table of docs/profiles.md. */
export function catalogueMarkdown(profiles: readonly Profile[]): string {
  const lines = [
    "| profile | maker | model | serial default | phases | points | limits | source |",
    "|---|---|---|---|---|--:|---|---|",
  ];
  for (const p of sorted(profiles)) {
    const s = p.sources[0];
    lines.push(`| ${p.id} | ${md(p.manufacturer)} | ${md(p.model)} | ${framingOf(p)} | ${phasesOf(p)} | ${p.points.length} | ${md(capsOf(p))} | [${md(s.title)}](${s.url}) |`);
  }
  return lines.join("\n");
}

/** The standard key table of docs/profile-points.md. */
export function pointKeysMarkdown(): string {
  const lines = ["| name | label | unit | deviceClass | stateClass |", "|---|---|---|---|---|"];
  for (const k of POINT_KEYS) lines.push(`| ${k.key} | ${k.label} | ${k.unit} | ${k.deviceClass} | ${k.stateClass} |`);
  return lines.join("\n");
}

/** Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->` in `doc`; throws if the markers are missing. */
export function replaceBetween(doc: string, name: string, body: string): string {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`markers ${begin} … ${end} not found`);
  return `${doc.slice(0, a + begin.length)}\n${body}\n${doc.slice(b)}`;
}
