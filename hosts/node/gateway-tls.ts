/*
 * Modbus/TCP Security on the Node gateway: a TLS listener (default port 802) whose clients must present a certificate
 * that chains to the configured CA, and whose role, taken from the certificate, limits the functions and units they may
 * use (docs/gateway.md, "Modbus/TCP Security"; MODBUS/TCP Security Protocol Specification MB-TCP-Security-v21_2018-07-24).
 *
 * Theory of operation:
 *  - One `tls` server with requestCert and rejectUnauthorized: OpenSSL refuses, during the handshake, a client without a
 *    certificate, with one from another CA, expired or not yet valid; TLS 1.2 is the oldest version offered. Such a
 *    client never gets a socket the gateway reads from ('tlsClientError', counted in handshakeFailures).
 *  - The IPv4 allowlist is checked on the raw TCP connection, before the handshake costs anything.
 *  - After the handshake the role is settled before a single byte of Modbus is read: the role extension of the client's
 *    certificate (OID 1.3.6.1.4.1.50316.802.1, read from the DER by modules/gateway/certificate-role.ts), else the subject's
 *    common name in `roleBySubject`. No role, a role the site does not define, or a malformed role extension: the
 *    socket is destroyed (counted). Otherwise the socket goes to GatewayServer.accepted(socket, role) and follows the
 *    plain listener's request path (the engine applies the role to every request: exception 01 outside it).
 *  - The MBAP framing inside TLS is Modbus TCP's, unchanged.
 */
import { readFileSync } from "node:fs";
import type { AddressInfo, Socket } from "node:net";
import { createServer, type Server, type TLSSocket } from "node:tls";
import { CERT_MALFORMED, CERT_ROLE, CertificateRoleReader } from "../../modules/gateway/certificate-role";
import type { GatewayTlsConfig } from "../../modules/gateway/tls-config";

/**
 * What the TLS listener needs of the gateway's server (gateway-server.ts's GatewayServer): declared here, not imported,
 * so the server depends on its TLS listener and not the other way round.
 */
export interface TlsAcceptor {
  readonly gateway: { readonly allowlist: { allows(address: string): boolean } };
  accepted(socket: Socket, role: number): void;
}

/** Why a client that finished the handshake got no role (ROLE_*: a role number ≥ 0, or one of these). */
export const NO_ROLE = -1;
export const UNKNOWN_ROLE = -2;
export const MALFORMED_ROLE = -3;

export class GatewayTlsListener {
  readonly config: GatewayTlsConfig;
  readonly roleReader = new CertificateRoleReader();
  /** Handshakes refused or broken (no certificate, another CA, expired, not TLS, timeout). */
  handshakeFailures = 0;
  /** Raw connections refused by the allowlist before the handshake. */
  refusedAddress = 0;
  /** Clients with a valid certificate refused for their role: none, not defined here, malformed extension. */
  refusedNoRole = 0;
  refusedUnknownRole = 0;
  refusedMalformed = 0;
  /** Clients handed to the gateway with a role. */
  admitted = 0;
  private readonly server: TlsAcceptor;
  private readonly bind: string;
  private readonly log: (line: string) => void;
  private readonly decoder = new TextDecoder("utf-8", { fatal: true });
  private tls: Server | null = null;

  constructor(server: TlsAcceptor, config: GatewayTlsConfig, bind: string, log?: (line: string) => void) {
    this.server = server;
    this.config = config;
    this.bind = bind;
    this.log = log ?? (() => {});
  }

  /** Reads the PEM files and listens; resolves with the address bound. Throws a one-line Error naming the field. */
  listen(): Promise<AddressInfo> {
    const c = this.config;
    const pem = (field: "certificate" | "key" | "ca"): Buffer => {
      try {
        return readFileSync(c[field]);
      } catch (e) {
        throw new Error(`$.gateway.tls.${field}: cannot read ${JSON.stringify(c[field])}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
    };
    const cert = pem("certificate");
    const key = pem("key");
    const ca = pem("ca");
    let tls: Server;
    try {
      tls = createServer({
        cert, key, ca,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: "TLSv1.2",
        handshakeTimeout: c.handshakeTimeoutMs,
        noDelay: true,
      }, (socket) => this.secured(socket));
    } catch (e) {
      throw new Error(`$.gateway.tls: the certificate, key or CA is not usable: ${e instanceof Error ? e.message : String(e)}`);
    }
    tls.on("connection", (raw: Socket) => {
      if (!this.server.gateway.allowlist.allows(raw.remoteAddress ?? "")) {
        this.refusedAddress++;
        this.log(`gateway: TLS refused ${raw.remoteAddress ?? "?"} (not in allow list)`);
        raw.destroy();
      }
    });
    tls.on("tlsClientError", (e: Error, socket: TLSSocket) => {
      this.handshakeFailures++;
      // A certificate OpenSSL did not verify (another CA, expired, none) ends the handshake with its reason in
      // authorizationError; the error passed here is then only the socket's end.
      const reason = (e as { reason?: unknown }).reason;
      const why = socket.authorizationError ? String(socket.authorizationError) : typeof reason === "string" ? reason : e.message.split("\n")[0];
      // Once OpenSSL's refusal destroyed the TLS socket its address is gone; the raw socket below it (Node's `_parent`)
      // remembers it, read by the allowlist check above.
      const address = socket.remoteAddress ?? (socket as unknown as { _parent?: Socket })._parent?.remoteAddress;
      this.log(`gateway: TLS handshake refused${address ? ` from ${address}` : ""}: ${why}`);
      socket.destroy();
    });
    return new Promise((resolve, reject) => {
      tls.once("error", reject);
      tls.listen(c.port, this.bind, () => {
        tls.off("error", reject);
        tls.on("error", (e) => this.log(`gateway: TLS: ${e.message}`));
        this.tls = tls;
        resolve(tls.address() as AddressInfo);
      });
    });
  }

  get address(): AddressInfo | null {
    return this.tls ? (this.tls.address() as AddressInfo) : null;
  }

  /** Stops listening (open connections are the GatewayServer's: its stop() closes them). */
  stop(): Promise<void> {
    const tls = this.tls;
    this.tls = null;
    if (!tls) return Promise.resolve();
    return new Promise((resolve) => tls.close(() => resolve()));
  }

  /** A client finished the handshake with a certificate the CA vouches for: settle its role, then hand it over. */
  private secured(socket: TLSSocket): void {
    const who = socket.remoteAddress ?? "?";
    const role = socket.authorized ? this.roleOf(socket) : NO_ROLE;
    if (role < 0) {
      if (role === UNKNOWN_ROLE) this.refusedUnknownRole++;
      else if (role === MALFORMED_ROLE) this.refusedMalformed++;
      else this.refusedNoRole++;
      this.log(`gateway: TLS refused ${who} (${role === UNKNOWN_ROLE ? "its role is not one of gateway.tls.roles" : role === MALFORMED_ROLE ? "malformed role extension" : "no role"})`);
      socket.destroy();
      return;
    }
    this.admitted++;
    this.server.accepted(socket, role);
  }

  /** The client's role number, or NO_ROLE / UNKNOWN_ROLE / MALFORMED_ROLE. */
  roleOf(socket: TLSSocket): number {
    const c = this.config;
    if (c.roleFromCertificate) {
      const x509 = socket.getPeerX509Certificate();
      if (!x509) return NO_ROLE;
      const raw = x509.raw;
      const found = this.roleReader.readRole(raw);
      if (found === CERT_MALFORMED) return MALFORMED_ROLE;
      if (found === CERT_ROLE) {
        let name: string;
        try {
          name = this.decoder.decode(raw.subarray(this.roleReader.roleStart, this.roleReader.roleStart + this.roleReader.roleLength));
        } catch {
          return MALFORMED_ROLE;
        }
        const r = c.roles.indexOf(name);
        return r >= 0 ? r : UNKNOWN_ROLE;
      }
    }
    const cn = socket.getPeerCertificate().subject?.CN;
    if (typeof cn !== "string") return NO_ROLE;
    return c.roleBySubject.get(cn) ?? NO_ROLE;
  }
}
