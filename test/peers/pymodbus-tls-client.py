# A Modbus/TCP Security client for rc485's gateway tests: pymodbus 3.0.0 (Debian python3-pymodbus) ModbusTlsClient.
# Usage:
#   pymodbus-tls-client.py PORT CA CERT|- KEY|- MAXTLS 'JSON list of operations'
# CA: the CA file the gateway's certificate must chain to (checked, with its IP SAN). CERT/KEY: the client's certificate
# and key, or "-" for none. MAXTLS: "1.2" to offer TLS 1.2 only, "any" for the best both sides have.
# The framer is pymodbus's socket (MBAP) framer: Modbus/TCP Security carries the Modbus TCP ADU unchanged inside TLS
# (pymodbus 3.0's own ModbusTlsFramer drops the MBAP header, which is not what the specification describes).
# Operations as in pymodbus-tcp-client.py: ["rh"|"ri", unit, address, count], ["wr", unit, address, value],
# ["wm", unit, address, [values]]. Prints one JSON line:
#   {"connect": bool, "tls": version or null, "results": [per operation {"registers"}, {"ok"}, {"exception"} or {"error"}]}
import json
import socket
import ssl
import sys

from pymodbus.client import ModbusTlsClient
from pymodbus.framer.socket_framer import ModbusSocketFramer
from pymodbus.pdu import ExceptionResponse



class TlsClient(ModbusTlsClient):
    """pymodbus 3.0.0rc1 reads a non-blocking socket once select() says it is readable; on TLS that may be a record
    without application data (a TLS 1.3 session ticket), and the read raises SSLWantReadError. Read blocking, with the
    client's timeout, instead."""

    def recv(self, size):
        self.socket.settimeout(self.params.timeout)
        data = b""
        want = size if size else 4096
        try:
            while len(data) < want:
                chunk = self.socket.recv(want - len(data))
                if not chunk:
                    break
                data += chunk
                if not size:
                    break
        except socket.timeout:
            pass
        return data


port = int(sys.argv[1])
ca, cert, key, maxtls = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ops = json.loads(sys.argv[6])

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.minimum_version = ssl.TLSVersion.TLSv1_2
if maxtls == "1.2":
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.load_verify_locations(cafile=ca)
ctx.check_hostname = True
if cert != "-":
    ctx.load_cert_chain(certfile=cert, keyfile=key)

client = TlsClient("127.0.0.1", port=port, framer=ModbusSocketFramer, sslctx=ctx, timeout=3, retries=0)
if not client.connect():
    print(json.dumps({"connect": False, "tls": None, "results": []}), flush=True)
    sys.exit(0)
version = client.socket.version() if client.socket is not None else None
out = []
for op in ops:
    kind, unit, address = op[0], op[1], op[2]
    try:
        if kind == "rh":
            r = client.read_holding_registers(address, op[3], slave=unit)
        elif kind == "ri":
            r = client.read_input_registers(address, op[3], slave=unit)
        elif kind == "wr":
            r = client.write_register(address, op[3], slave=unit)
        elif kind == "wm":
            r = client.write_registers(address, op[3], slave=unit)
        else:
            raise ValueError("unknown operation " + kind)
        if isinstance(r, ExceptionResponse):
            out.append({"exception": r.exception_code})
        elif r.isError():
            out.append({"error": str(r)})
        elif kind in ("rh", "ri"):
            out.append({"registers": list(r.registers)})
        else:
            out.append({"ok": True})
    except Exception as e:  # alert from the server, connection dropped, timeout
        out.append({"error": type(e).__name__ + ": " + str(e)})
client.close()
print(json.dumps({"connect": True, "tls": version, "results": out}), flush=True)
