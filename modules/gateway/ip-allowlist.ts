/*
 * Client address allowlist for the Modbus TCP gateway: IPv4 addresses and CIDR blocks (RFC 4632 §3.1 prefix notation,
 * "192.168.1.0/24"), checked against the text address a socket layer reports.
 *
 * Rules are parsed once at configuration time (RangeError naming the entry); checking a client reads its address text
 * with charCodeAt and allocates nothing, so hosts can pass Node's `socket.remoteAddress` or the ECMA-419 listener's
 * remote address as they come. An IPv4-mapped IPv6 address ("::ffff:10.0.0.7", RFC 4291 §2.5.5.2) is read as its IPv4
 * address; any other IPv6 address is not IPv4 and matches no rule (bind the gateway to an IPv4 address, the default).
 */

/** The 32-bit value of an IPv4 address in `text` ("a.b.c.d" or "::ffff:a.b.c.d"), or -1 when it is not one. */
export function parseIpv4(text: string): number {
  let start = 0;
  const n = text.length;
  if (n > 7 && text.charCodeAt(0) === 58 && text.charCodeAt(1) === 58) {
    // "::ffff:" prefix, any letter case
    for (let i = 2; i < 6; i++) {
      const c = text.charCodeAt(i) | 0x20;
      if (c !== 102) return -1;
    }
    if (text.charCodeAt(6) !== 58) return -1;
    start = 7;
  }
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = start; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      if (digits === 3) return -1;
      if (digits === 1 && part === 0) return -1; // no leading zeros ("01"): they read as octal elsewhere
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || parts === 4) return -1;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else return -1;
  }
  return parts === 4 ? value : -1;
}

/** A set of IPv4 prefixes. Empty = every client is allowed. */
export class IpAllowlist {
  private readonly network: Float64Array;
  private readonly size: Float64Array;
  readonly count: number;

  /** `rules`: "a.b.c.d" or "a.b.c.d/len" (len 0..32). `field` names the configuration field in error messages. */
  constructor(rules: readonly string[], field = "allow") {
    if (!Array.isArray(rules)) throw new TypeError(`${field} must be a list of IPv4 addresses or CIDR blocks such as "192.168.1.0/24"`);
    this.count = rules.length;
    this.network = new Float64Array(rules.length);
    this.size = new Float64Array(rules.length);
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (typeof rule !== "string") throw new TypeError(`${field}[${i}] must be a string such as "10.0.0.5" or "192.168.1.0/24"`);
      const slash = rule.indexOf("/");
      const address = parseIpv4(slash < 0 ? rule : rule.slice(0, slash));
      const bitsText = slash < 0 ? "32" : rule.slice(slash + 1);
      const bits = /^\d{1,2}$/.test(bitsText) ? Number(bitsText) : -1;
      if (address < 0 || bits < 0 || bits > 32) throw new RangeError(`${field}[${i}] must be an IPv4 address or CIDR block such as "192.168.1.0/24" (got ${JSON.stringify(rule)})`);
      const size = 2 ** (32 - bits);
      this.size[i] = size;
      this.network[i] = address - (address % size);
    }
  }

  /** True when `address` (text as a socket reports it) is allowed. */
  allows(address: string): boolean {
    if (this.count === 0) return true;
    const a = parseIpv4(address);
    if (a < 0) return false;
    for (let i = 0; i < this.count; i++) if (a - (a % this.size[i]) === this.network[i]) return true;
    return false;
  }
}
