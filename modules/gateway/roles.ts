/*
 * Roles of the Modbus/TCP Security gateway: which function codes and which TCP unit ids a client holding a role may
 * use (docs/gateway.md, "Modbus/TCP Security"). Validated once from the `gateway.tls.roles` section into two flat
 * tables of 256 bytes per role, so the engine's check per request is two array reads.
 *
 * A role is `{ "readOnly"?: boolean, "functions"?: [codes 1..127], "units"?: [ids 0..255 or "a-b" ranges] }`:
 *  - `functions` absent: every function code (the gateway's own rules still apply); present: only those.
 *  - `readOnly`: additionally only the functions of the gateway's read-only mode (READ_ONLY_FUNCTION in gateway/engine.ts,
 *    with 2B only as 2B/0E); the engine applies it with the same code as `gateway.readOnly`.
 *  - `units` absent: every unit id; present: only those.
 * A request outside its role is answered with exception 01 Illegal Function and never reaches the bus or the local
 * registers. Role names are what the certificate's role extension or the subject mapping yield: 1..128 characters.
 */

export interface GatewayRoleOptions {
  readonly readOnly?: boolean;
  readonly functions?: readonly number[];
  readonly units?: readonly (number | string)[];
}

/** Most roles one gateway may define. */
export const MAX_ROLES = 32;

export class GatewayRoles {
  /** Role names, in the section's order; a role's number is its index. */
  readonly names: readonly string[];
  /** functions[role * 256 + fc] = 1 when the role may send function `fc`. */
  readonly functions: Uint8Array;
  /** units[role * 256 + unit] = 1 when the role may address TCP unit id `unit`. */
  readonly units: Uint8Array;
  /** readOnly[role] = 1 for a read-only role. */
  readonly readOnly: Uint8Array;

  /** `path` prefixes names in error messages ("$.gateway.tls.roles"). Throws TypeError/RangeError on a bad section. */
  constructor(section: unknown, path: string) {
    if (typeof section !== "object" || section === null || Array.isArray(section)) throw new TypeError(`${path} must be an object {"<role name>": {"readOnly"?, "functions"?, "units"?}}`);
    const names = Object.keys(section);
    if (names.length < 1 || names.length > MAX_ROLES) throw new RangeError(`${path} must define 1 to ${MAX_ROLES} roles (got ${names.length})`);
    this.names = Object.freeze(names.slice());
    this.functions = new Uint8Array(names.length * 256);
    this.units = new Uint8Array(names.length * 256);
    this.readOnly = new Uint8Array(names.length);
    for (let r = 0; r < names.length; r++) {
      const name = names[r];
      if (name.length < 1 || name.length > 128) throw new RangeError(`${path}: role name ${JSON.stringify(name.slice(0, 40))} must be 1 to 128 characters`);
      const at = `${path}.${name}`;
      const role = (section as Record<string, unknown>)[name];
      if (typeof role !== "object" || role === null || Array.isArray(role)) throw new TypeError(`${at} must be an object {"readOnly"?, "functions"?, "units"?}`);
      const o = role as Record<string, unknown>;
      for (const k of Object.keys(o)) if (k !== "readOnly" && k !== "functions" && k !== "units") throw new RangeError(`${at}.${k} is not a role option; allowed: readOnly, functions, units`);
      if (o.readOnly !== undefined && typeof o.readOnly !== "boolean") throw new TypeError(`${at}.readOnly must be true or false (got ${String(o.readOnly)})`);
      this.readOnly[r] = o.readOnly === true ? 1 : 0;
      const base = r * 256;
      if (o.functions === undefined) for (let fc = 1; fc < 128; fc++) this.functions[base + fc] = 1;
      else {
        if (!Array.isArray(o.functions) || o.functions.length === 0) throw new TypeError(`${at}.functions must be a non-empty list of function codes 1-127, such as [3, 4, 6, 16]`);
        for (const fc of o.functions) {
          if (typeof fc !== "number" || !Number.isInteger(fc) || fc < 1 || fc > 127) throw new RangeError(`${at}.functions: ${String(fc)} is not a function code 1-127`);
          this.functions[base + fc] = 1;
        }
      }
      if (o.units === undefined) for (let u = 0; u < 256; u++) this.units[base + u] = 1;
      else {
        if (!Array.isArray(o.units) || o.units.length === 0) throw new TypeError(`${at}.units must be a non-empty list of TCP unit ids 0-255 or ranges such as "1-10"`);
        for (const u of o.units) {
          let lo = -1;
          let hi = -1;
          if (typeof u === "number" && Number.isInteger(u)) lo = hi = u;
          else if (typeof u === "string") {
            const m = /^(\d{1,3})-(\d{1,3})$/.exec(u);
            if (m) { lo = Number(m[1]); hi = Number(m[2]); }
          }
          if (!(lo >= 0 && hi <= 255 && lo <= hi)) throw new RangeError(`${at}.units: ${JSON.stringify(u)} is not a TCP unit id 0-255 or a range "a-b" with a ≤ b`);
          for (let k = lo; k <= hi; k++) this.units[base + k] = 1;
        }
      }
    }
  }

  /** The number of the role called `name`, or -1. */
  indexOf(name: string): number {
    return this.names.indexOf(name);
  }
}
