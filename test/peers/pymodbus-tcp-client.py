# A Modbus TCP client for rc485's gateway tests: pymodbus 3.0.0 (Debian python3-pymodbus). Usage:
#   pymodbus-tcp-client.py PORT 'JSON list of operations'
# Operations: ["rh", unit, address, count] read holding registers, ["ri", unit, address, count] read input registers,
# ["wr", unit, address, value] write one register, ["wm", unit, address, [values]] write registers.
# Prints one JSON line: a list with, per operation, {"registers": [...]}, {"ok": true}, {"exception": code} or
# {"error": "text"}; or {"connect": false} when the gateway refuses or drops the connection at once.
import json
import sys

from pymodbus.client import ModbusTcpClient
from pymodbus.pdu import ExceptionResponse

port = int(sys.argv[1])
ops = json.loads(sys.argv[2])
client = ModbusTcpClient("127.0.0.1", port=port, timeout=3, retries=0)
if not client.connect():
    print(json.dumps({"connect": False}), flush=True)
    sys.exit(0)
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
    except Exception as e:  # connection dropped, timeout
        out.append({"error": type(e).__name__ + ": " + str(e)})
client.close()
print(json.dumps(out), flush=True)
