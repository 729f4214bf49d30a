/*
 * The `gateway.tls` section: Modbus/TCP Security (TLS with client certificates and roles) for the Node gateway,
 * validated once (docs/gateway.md, "Modbus/TCP Security"). Portable: it checks the section and compiles the roles;
 * reading the files and running TLS is the Node host's (hosts/node/gateway-tls.ts).
 *
 * Fields (errors name `$.gateway.tls.<field>` and what is allowed):
 *  - port: TLS port, default 802 (MODBUS/TCP Security Protocol Specification MB-TCP-Security-v21_2018-07-24: the
 *    secure protocol's registered port is 802); 0 = any free port.
 *  - certificate, key: the gateway's own certificate and private key (PEM files); ca: the CA certificate(s) (PEM)
 *    that client certificates must chain to. Paths are relative to the working directory.
 *  - roles: see modules/gateway/roles.ts.
 *  - roleFromCertificate (default true): take the role from the certificate's role extension (OID
 *    1.3.6.1.4.1.50316.802.1, modules/gateway/certificate-role.ts) when it has one.
 *  - roleBySubject: {"<subject common name>": "<role>"}: the role of a certificate without the extension (or of every
 *    certificate, with roleFromCertificate false). A client with no role is refused before any Modbus byte is read.
 *  - handshakeTimeoutMs (100..60000, default 5000): a client that has not finished the TLS handshake by then is dropped.
 */
import { GatewayRoles } from "./roles";

export interface GatewayTlsOptions {
  readonly port?: number;
  readonly certificate?: string;
  readonly key?: string;
  readonly ca?: string;
  readonly roles?: Readonly<Record<string, unknown>>;
  readonly roleFromCertificate?: boolean;
  readonly roleBySubject?: Readonly<Record<string, string>>;
  readonly handshakeTimeoutMs?: number;
}

const FIELDS = Object.freeze(["port", "certificate", "key", "ca", "roles", "roleFromCertificate", "roleBySubject", "handshakeTimeoutMs"]);

/** The registered port of Modbus/TCP Security. */
export const MODBUS_SECURITY_PORT = 802;

export class GatewayTlsConfig {
  readonly port: number;
  readonly certificate: string;
  readonly key: string;
  readonly ca: string;
  readonly roles: GatewayRoles;
  readonly roleFromCertificate: boolean;
  /** Subject common name → role number. */
  readonly roleBySubject: ReadonlyMap<string, number>;
  readonly handshakeTimeoutMs: number;

  /** `path` prefixes field names in errors ("$.gateway.tls"). Throws TypeError/RangeError on a bad section. */
  constructor(section: unknown, path: string) {
    if (typeof section !== "object" || section === null || Array.isArray(section)) throw new TypeError(`${path} must be an object {"certificate", "key", "ca", "roles", …}`);
    const o = section as Readonly<Record<string, unknown>>;
    for (const k of Object.keys(o)) if (FIELDS.indexOf(k) < 0) throw new RangeError(`${path}.${k} is not a TLS option; allowed: ${FIELDS.join(", ")}`);
    const port = o.port === undefined ? MODBUS_SECURITY_PORT : o.port;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`${path}.port must be an integer from 0 to 65535 (got ${String(port)})`);
    this.port = port;
    this.certificate = file(o, "certificate", path, "the gateway's certificate");
    this.key = file(o, "key", path, "the gateway's private key");
    this.ca = file(o, "ca", path, "the CA certificate client certificates must chain to");
    if (o.roles === undefined) throw new TypeError(`${path}.roles is required: {"<role name>": {"readOnly"?, "functions"?, "units"?}}`);
    this.roles = new GatewayRoles(o.roles, `${path}.roles`);
    if (o.roleFromCertificate !== undefined && typeof o.roleFromCertificate !== "boolean") throw new TypeError(`${path}.roleFromCertificate must be true or false (got ${String(o.roleFromCertificate)})`);
    this.roleFromCertificate = o.roleFromCertificate !== false;
    const map = new Map<string, number>();
    const by = o.roleBySubject === undefined ? {} : o.roleBySubject;
    if (typeof by !== "object" || by === null || Array.isArray(by)) throw new TypeError(`${path}.roleBySubject must be an object {"<subject common name>": "<role name>"}`);
    for (const cn of Object.keys(by)) {
      const role = (by as Record<string, unknown>)[cn];
      const r = typeof role === "string" ? this.roles.indexOf(role) : -1;
      if (r < 0) throw new RangeError(`${path}.roleBySubject.${cn} must name a role of ${path}.roles (${this.roles.names.join(", ")}); got ${JSON.stringify(role)}`);
      map.set(cn, r);
    }
    if (!this.roleFromCertificate && map.size === 0) throw new RangeError(`${path}: with roleFromCertificate false, roleBySubject must map at least one subject to a role (else no client can have one)`);
    this.roleBySubject = map;
    const hs = o.handshakeTimeoutMs === undefined ? 5000 : o.handshakeTimeoutMs;
    if (typeof hs !== "number" || !Number.isInteger(hs) || hs < 100 || hs > 60000) throw new RangeError(`${path}.handshakeTimeoutMs must be an integer from 100 to 60000 (got ${String(hs)})`);
    this.handshakeTimeoutMs = hs;
  }
}

function file(o: Readonly<Record<string, unknown>>, field: string, path: string, what: string): string {
  const v = o[field];
  if (typeof v !== "string" || v.length === 0) throw new TypeError(`${path}.${field} must be the path of a PEM file: ${what}${v === undefined ? " (missing)" : ` (got ${JSON.stringify(v)})`}`);
  return v;
}
