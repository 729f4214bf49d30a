// A throwaway PKI for the Modbus/TCP Security tests, made with the openssl command line in a temporary directory: a CA,
// a second CA nobody trusts, the gateway's certificate (SAN IP 127.0.0.1) and client certificates with and without the
// Modbus role extension (OID 1.3.6.1.4.1.50316.802.1, a UTF8String: MB-TCP-Security-v21_2018-07-24 R-21/R-22), one
// expired, one from the other CA, one whose extension holds raw bytes instead of a UTF8String. Leaf certificates are
// issued with `openssl ca`, whose -startdate/-enddate put the expired one's validity in 2020 (no clock faking).
// P-256 keys: fast to make. Everything is deleted by remove().
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ClientCert {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  ca: string;
  server: ClientCert;
  clients: Record<string, ClientCert>;
  remove(): void;
}

/** Client certificates made: name → [issuer, subject CN, role extension value (openssl syntax) or null, expired]. */
const CLIENTS: Record<string, [issuer: "ca" | "other", cn: string, ext: string | null, expired: boolean]> = {
  operator: ["ca", "operator-1", "ASN1:UTF8String:operator", false],
  monitor: ["ca", "monitor-1", "ASN1:UTF8String:monitor", false],
  meter1: ["ca", "meter1-reader", "ASN1:UTF8String:meter1", false],
  mapped: ["ca", "scada-7", null, false],
  norole: ["ca", "nobody", null, false],
  unknownRole: ["ca", "intruder", "ASN1:UTF8String:admin", false],
  rawRole: ["ca", "raw", "DER:4f70657261746f72", false],
  expired: ["ca", "operator-old", "ASN1:UTF8String:operator", true],
  wrongCa: ["other", "operator-2", "ASN1:UTF8String:operator", false],
};

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

function caConfig(name: string): string {
  return `[ca]
default_ca = this
[this]
dir = ./${name}
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir/new
certificate = ${name}.crt
private_key = ${name}.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
email_in_dn = no
[anything]
commonName = supplied
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
${Object.entries(CLIENTS).map(([n, [, , ext]]) => `[client_${n}]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
${ext === null ? "" : `1.3.6.1.4.1.50316.802.1 = ${ext}`}
`).join("")}`;
}

function makeCa(dir: string, name: string): void {
  mkdirSync(join(dir, name, "new"), { recursive: true });
  writeFileSync(join(dir, name, "index.txt"), "");
  writeFileSync(join(dir, name, "serial"), "1000\n");
  writeFileSync(join(dir, `${name}.cnf`), caConfig(name));
  openssl(dir, ["req", "-x509", "-config", `${name}.cnf`, "-extensions", "ca_ext", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
    "-nodes", "-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "3", "-subj", `/CN=rc485 test ${name}`]);
}

function issue(dir: string, ca: string, name: string, cn: string, extensions: string, expired: boolean): ClientCert {
  openssl(dir, ["req", "-new", "-config", `${ca}.cnf`, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`]);
  const dates = expired ? ["-startdate", "20200101000000Z", "-enddate", "20200201000000Z"] : ["-days", "2"];
  openssl(dir, ["ca", "-batch", "-notext", "-config", `${ca}.cnf`, "-extensions", extensions, ...dates, "-in", `${name}.csr`, "-out", `${name}.crt`]);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "rc485-pki-"));
  makeCa(dir, "ca");
  makeCa(dir, "other");
  const server = issue(dir, "ca", "server", "rc485 gateway", "server", false);
  const clients: Record<string, ClientCert> = {};
  for (const [name, [issuer, cn, , expired]] of Object.entries(CLIENTS)) clients[name] = issue(dir, issuer, name, cn, `client_${name}`, expired);
  return { dir, ca: join(dir, "ca.crt"), server, clients, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
