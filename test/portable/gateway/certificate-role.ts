// The role extension reader (modules/gateway/certificate-role.ts) on certificate-shaped DER built here by a tiny DER writer:
// the role found with and without the critical flag and with long-form lengths; no role; every malformed shape (each
// truncation, bad lengths, multi-byte tags, a repeated extension, a value that is not a UTF8String, empty or oversize
// roles) counted as CERT_MALFORMED; 5,000 random mutations of a valid certificate never throw and never point outside
// the input. Portable: runs on Node and on XS. (Certificates made by openssl are read in test/gateway-tls.test.ts.)
import { CERT_MALFORMED, CERT_NO_ROLE, CERT_ROLE, CertificateRoleReader, ROLE_MAX_BYTES, ROLE_OID_DER } from "../../../modules/gateway/certificate-role";
import { Prng } from "../../../modules/common/prng";
import type { Cases } from "../../harness/check";

/** One DER TLV: tag, definite length (short or long form), contents. */
function tlv(tag: number, ...parts: (number[] | Uint8Array)[]): number[] {
  const body: number[] = [];
  for (const p of parts) for (let i = 0; i < p.length; i++) body.push(p[i]);
  const n = body.length;
  const len = n < 128 ? [n] : n < 256 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return [tag, ...len, ...body];
}

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));
const OID_KEY_USAGE = [0x55, 0x1d, 0x0f];
const OID_ECDSA_SHA256 = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];

function extension(oid: number[], value: number[], critical = false): number[] {
  return tlv(0x30, tlv(0x06, oid), critical ? tlv(0x01, [0xff]) : [], tlv(0x04, value));
}
const roleExtension = (role: string, critical = false) => extension([...ROLE_OID_DER], tlv(0x0c, ascii(role)), critical);

/** A certificate shaped as RFC 5280 §4.1 says, with these extensions (null: no [3] block at all). */
function certificate(extensions: number[][] | null, extraTbs: number[] = []): Uint8Array {
  const name = (cn: string) => tlv(0x30, tlv(0x31, tlv(0x30, tlv(0x06, [0x55, 0x04, 0x03]), tlv(0x0c, ascii(cn)))));
  const tbs = tlv(0x30,
    tlv(0xa0, tlv(0x02, [2])),
    tlv(0x02, [0x10, 0x00]),
    tlv(0x30, tlv(0x06, OID_ECDSA_SHA256)),
    name("rc485 test ca"),
    tlv(0x30, tlv(0x17, ascii("261203000000Z")), tlv(0x17, ascii("261205000000Z"))),
    name("operator-1"),
    tlv(0x30, tlv(0x30, tlv(0x06, [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01])), tlv(0x03, [0, 4, 1, 2, 3, 4])),
    extraTbs,
    extensions === null ? [] : tlv(0xa3, tlv(0x30, ...extensions)));
  return new Uint8Array(tlv(0x30, tbs, tlv(0x30, tlv(0x06, OID_ECDSA_SHA256)), tlv(0x03, [0, 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01])));
}

function roleText(der: Uint8Array, r: CertificateRoleReader): string {
  let s = "";
  for (let i = 0; i < r.roleLength; i++) s += String.fromCharCode(der[r.roleStart + i]);
  return s;
}

const KEY_USAGE = extension(OID_KEY_USAGE, tlv(0x03, [0x07, 0x80]), true);

export const cases: Cases = {
  "the role OID's DER is 1.3.6.1.4.1.50316.802.1"(t) {
    // X.690 §8.19: first two arcs 1.3 → 40 + 3; every later arc base 128, high bit set on all but the last byte.
    const arcs = [6, 1, 4, 1, 50316, 802, 1];
    const out = [43];
    for (const a of arcs) {
      const bytes = [a & 0x7f];
      for (let v = Math.floor(a / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift((v & 0x7f) | 0x80);
      out.push(...bytes);
    }
    t.deepEqual([...ROLE_OID_DER], out);
  },
  "finds the role, with or without the critical flag, among other extensions"(t) {
    const r = new CertificateRoleReader();
    for (const critical of [false, true]) {
      const der = certificate([KEY_USAGE, roleExtension("operator", critical)]);
      t.is(r.readRole(der), CERT_ROLE);
      t.is(roleText(der, r), "operator");
    }
    t.is(r.withRole, 2);
  },
  "long-form lengths: a 128-byte role after a 300-byte extension"(t) {
    const r = new CertificateRoleReader();
    const role = "r".repeat(ROLE_MAX_BYTES);
    const der = certificate([extension([0x2a, 0x03], tlv(0x04, new Array<number>(300).fill(7))), roleExtension(role)]);
    t.is(r.readRole(der), CERT_ROLE);
    t.is(roleText(der, r), role);
  },
  "no role: no extensions at all, or extensions without it"(t) {
    const r = new CertificateRoleReader();
    t.is(r.readRole(certificate(null)), CERT_NO_ROLE);
    t.is(r.readRole(certificate([KEY_USAGE])), CERT_NO_ROLE);
    // An OID that starts like the role OID but is longer is another extension.
    t.is(r.readRole(certificate([extension([...ROLE_OID_DER, 1], tlv(0x0c, ascii("x")))])), CERT_NO_ROLE);
    t.is(r.withoutRole, 3);
  },
  "every truncation of a valid certificate is malformed, never an exception"(t) {
    const r = new CertificateRoleReader();
    const der = certificate([KEY_USAGE, roleExtension("operator")]);
    for (let n = 0; n < der.length; n++) t.is(r.readRole(der, 0, n), CERT_MALFORMED, `first ${n} bytes`);
    t.is(r.malformed, der.length);
    t.is(r.readRole(der), CERT_ROLE, "the whole is fine");
  },
  "malformed shapes: lengths, tags, repeats, value types, sizes, ranges"(t) {
    const r = new CertificateRoleReader();
    const good = certificate([roleExtension("operator")]);
    const trailing = new Uint8Array(good.length + 1);
    trailing.set(good);
    const bad: [string, Uint8Array, number?, number?][] = [
      ["a byte after the certificate", trailing],
      ["indefinite length", (() => { const d = good.slice(); d[1] = 0x80; return d; })()],
      ["a length of 5 bytes", new Uint8Array([0x30, 0x85, 0, 0, 0, 0, 1, 0])],
      ["a length past the end", new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])],
      ["a multi-byte tag", new Uint8Array(tlv(0x30, [0x1f, 0x81, 0x01, 0x00]))],
      ["not a SEQUENCE", new Uint8Array(tlv(0x31, tlv(0x30)))],
      ["the role twice", certificate([roleExtension("operator"), roleExtension("monitor")])],
      ["two extension blocks", certificate([roleExtension("operator")], tlv(0xa3, tlv(0x30)))],
      ["a PrintableString role", certificate([extension([...ROLE_OID_DER], tlv(0x13, ascii("operator")))])],
      ["raw bytes as the value", certificate([extension([...ROLE_OID_DER], ascii("Operator"))])],
      ["an empty role", certificate([roleExtension("")])],
      ["a role of 129 bytes", certificate([roleExtension("r".repeat(ROLE_MAX_BYTES + 1))])],
      ["bytes after the UTF8String", certificate([extension([...ROLE_OID_DER], [...tlv(0x0c, ascii("operator")), 0])])],
      ["a BOOLEAN of 2 bytes", certificate([tlv(0x30, tlv(0x06, [...ROLE_OID_DER]), tlv(0x01, [0xff, 0]), tlv(0x04, tlv(0x0c, ascii("x"))))])],
      ["no OCTET STRING", certificate([tlv(0x30, tlv(0x06, [...ROLE_OID_DER]), tlv(0x0c, ascii("x")))])],
      ["an extension that is not a SEQUENCE", certificate([tlv(0x31, tlv(0x06, OID_KEY_USAGE))])],
      ["an extension without an OID", certificate([tlv(0x30, tlv(0x04, [0]))])],
      ["offset and length outside the input", good, 10, good.length],
      ["a negative length", good, 0, -1],
    ];
    for (const [why, der, offset, length] of bad) t.is(r.readRole(der, offset ?? 0, length ?? der.length), CERT_MALFORMED, why);
    t.is(r.malformed, bad.length);
    t.is(r.roleLength, 0, "no role span is left from a malformed read");
  },
  "5,000 random mutations of a valid certificate: a verdict every time, spans inside the input"(t) {
    const r = new CertificateRoleReader();
    const good = certificate([KEY_USAGE, roleExtension("operator")]);
    const prng = new Prng(802);
    const seen = [0, 0, 0];
    for (let i = 0; i < 5000; i++) {
      const d = good.slice();
      const edits = prng.nextRange(1, 4);
      for (let k = 0; k < edits; k++) d[prng.nextRange(0, d.length - 1)] = prng.nextRange(0, 255);
      let v = -1;
      try {
        v = r.readRole(d);
      } catch {
        v = -2;
      }
      t.ok(v === CERT_ROLE || v === CERT_NO_ROLE || v === CERT_MALFORMED, `mutation ${i} gave ${v}`);
      if (v >= 0) seen[v]++;
      if (v === CERT_ROLE) t.ok(r.roleLength >= 1 && r.roleLength <= ROLE_MAX_BYTES && r.roleStart + r.roleLength <= d.length);
    }
    t.is(r.read, 5000);
    t.is(r.withRole + r.withoutRole + r.malformed, 5000);
    t.ok(seen[CERT_MALFORMED] > 1000 && seen[CERT_ROLE] > 100, `verdicts ${seen.join("/")}`);
  },
};
