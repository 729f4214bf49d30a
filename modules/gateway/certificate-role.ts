/*
 * The Modbus role of an X.509 client certificate, read from its DER bytes: a small, bounded DER walker that finds the
 * role extension and hands back where its text lies, for Modbus/TCP Security's role-based authorization
 * (docs/gateway.md, "Modbus/TCP Security").
 *
 * Theory of operation. MODBUS/TCP Security Protocol Specification (MB-TCP-Security-v21_2018-07-24, §8.3 "mbaps
 * Role-Based Client Authorization", R-21/R-22) carries the client's role in a certificate extension with the Modbus
 * Organization's OID 1.3.6.1.4.1.50316.802.1 whose value is one ASN.1 UTF8String. RFC 5280 §4.1 gives the path to it:
 *   Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version?, serialNumber, signature, issuer, validity,
 *     subject, subjectPublicKeyInfo, [1] issuerUniqueID?, [2] subjectUniqueID?, [3] EXPLICIT extensions? }, … }
 *   Extensions ::= SEQUENCE OF Extension; Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE,
 *     extnValue OCTET STRING }   — the OCTET STRING holds the DER of the extension's value, here a UTF8String (tag 0C).
 * The walker follows exactly that path (no recursion, so no depth to exhaust): every TLV's length is checked against
 * the bytes of its parent before anything is read, tags must be one byte, lengths definite and at most 4 bytes long.
 * Whatever does not fit is CERT_MALFORMED, never an exception; so is a role extension that occurs twice (RFC 5280 §4.2:
 * a certificate must not include more than one instance of a particular extension), whose value is not a UTF8String,
 * or whose text is empty or longer than ROLE_MAX_BYTES. The text's bytes are left where they are (roleStart,
 * roleLength): the host decodes them as UTF-8. Nothing is allocated; the reader keeps its results in fields.
 *
 * The certificate's signature, validity and chain are not this module's business: the TLS stack has verified them
 * against the configured CA before the gateway looks at the role.
 */

/** The role extension was found: its text is der[roleStart, roleStart + roleLength). */
export const CERT_ROLE = 0;
/** A well-formed certificate without the role extension. */
export const CERT_NO_ROLE = 1;
/** The bytes are not a certificate this reader can walk, or the role extension is malformed or repeated. */
export const CERT_MALFORMED = 2;

/** The longest role text accepted, bytes of UTF-8. */
export const ROLE_MAX_BYTES = 128;

/** DER content octets of OID 1.3.6.1.4.1.50316.802.1 (X.690 §8.19: 1.3 → 2B; 50316 → 83 89 0C; 802 → 86 22). */
export const ROLE_OID_DER: readonly number[] = Object.freeze([0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0x89, 0x0c, 0x86, 0x22, 0x01]);

const SEQUENCE = 0x30;
const OID = 0x06;
const BOOLEAN = 0x01;
const OCTET_STRING = 0x04;
const UTF8_STRING = 0x0c;
const EXTENSIONS = 0xa3;

export class CertificateRoleReader {
  /** After CERT_ROLE: where the role's UTF-8 bytes start in the certificate, and how many there are. */
  roleStart = 0;
  roleLength = 0;
  /** Certificates read, and how each ended. */
  read = 0;
  withRole = 0;
  withoutRole = 0;
  malformed = 0;

  // The TLV last parsed by tlv(): where its contents start, and their length.
  private start = 0;
  private length = 0;

  /** Reads der[offset, offset + length). Returns CERT_ROLE (roleStart/roleLength set), CERT_NO_ROLE or CERT_MALFORMED. */
  readRole(der: Uint8Array, offset = 0, length = der.length): number {
    this.read++;
    this.roleStart = 0;
    this.roleLength = 0;
    const result = this.walk(der, offset, length);
    if (result === CERT_ROLE) this.withRole++;
    else if (result === CERT_NO_ROLE) this.withoutRole++;
    else this.malformed++;
    return result;
  }

  private walk(der: Uint8Array, offset: number, length: number): number {
    if (!(offset >= 0 && length >= 0 && offset + length <= der.length)) return CERT_MALFORMED;
    const end = offset + length;
    // Certificate SEQUENCE, which must fill the input; then tbsCertificate SEQUENCE.
    if (this.tlv(der, offset, end) !== SEQUENCE || this.start + this.length !== end) return CERT_MALFORMED;
    if (this.tlv(der, this.start, this.start + this.length) !== SEQUENCE) return CERT_MALFORMED;
    const tbsEnd = this.start + this.length;
    let at = this.start;
    let extensionsStart = -1;
    let extensionsEnd = -1;
    while (at < tbsEnd) {
      const tag = this.tlv(der, at, tbsEnd);
      if (tag < 0) return CERT_MALFORMED;
      if (tag === EXTENSIONS) {
        if (extensionsStart >= 0) return CERT_MALFORMED;
        extensionsStart = this.start;
        extensionsEnd = this.start + this.length;
      }
      at = this.start + this.length;
    }
    if (extensionsStart < 0) return CERT_NO_ROLE;
    // [3] EXPLICIT holds exactly one SEQUENCE OF Extension.
    if (this.tlv(der, extensionsStart, extensionsEnd) !== SEQUENCE || this.start + this.length !== extensionsEnd) return CERT_MALFORMED;
    const listEnd = extensionsEnd;
    at = this.start;
    let found = false;
    while (at < listEnd) {
      if (this.tlv(der, at, listEnd) !== SEQUENCE) return CERT_MALFORMED;
      const extEnd = this.start + this.length;
      at = extEnd;
      if (this.tlv(der, this.start, extEnd) !== OID) return CERT_MALFORMED;
      if (!this.isRoleOid(der)) continue;
      if (found) return CERT_MALFORMED;
      found = true;
      let next = this.start + this.length;
      let tag = this.tlv(der, next, extEnd);
      if (tag === BOOLEAN) {
        if (this.length !== 1) return CERT_MALFORMED;
        next = this.start + this.length;
        tag = this.tlv(der, next, extEnd);
      }
      if (tag !== OCTET_STRING || this.start + this.length !== extEnd) return CERT_MALFORMED;
      const valueEnd = this.start + this.length;
      if (this.tlv(der, this.start, valueEnd) !== UTF8_STRING || this.start + this.length !== valueEnd) return CERT_MALFORMED;
      if (this.length < 1 || this.length > ROLE_MAX_BYTES) return CERT_MALFORMED;
      this.roleStart = this.start;
      this.roleLength = this.length;
    }
    return found ? CERT_ROLE : CERT_NO_ROLE;
  }

  /** The OID whose contents were just parsed is the role OID. */
  private isRoleOid(der: Uint8Array): boolean {
    if (this.length !== ROLE_OID_DER.length) return false;
    for (let i = 0; i < this.length; i++) if (der[this.start + i] !== ROLE_OID_DER[i]) return false;
    return true;
  }

  /**
   * Parses the TLV at der[at] that must end by `limit`: returns its tag and sets start, length. -1 when the tag is
   * multi-byte (low bits 1F), the length indefinite, longer than 4 bytes, or runs past `limit`.
   */
  private tlv(der: Uint8Array, at: number, limit: number): number {
    if (at + 2 > limit) return -1;
    const tag = der[at];
    if ((tag & 0x1f) === 0x1f) return -1;
    let n = der[at + 1];
    let p = at + 2;
    if (n & 0x80) {
      const k = n & 0x7f;
      if (k === 0 || k > 4 || p + k > limit) return -1;
      n = 0;
      for (let i = 0; i < k; i++) n = n * 256 + der[p + i];
      p += k;
    }
    if (n > limit - p) return -1;
    this.start = p;
    this.length = n;
    return tag;
  }
}
