# A Modbus RTU slave for rc485's Node host tests: pymodbus 3.0.0 (Debian python3-pymodbus) serving unit 1 on a serial
# device (one end of a socat pseudo-terminal pair). Usage: pymodbus-rtu-slave.py DEVICE [BAUD [DELAY_MS [broadcast]]]
# DELAY_MS: how long the slave takes to answer (a real meter's turnaround; default 0). "broadcast": unit 0 requests are
# executed as broadcasts (pymodbus broadcast_enable; never answered).
#
# Holding registers from address 0 (zero_mode: protocol address = index):
#   0-1  float32 230.5  high word first (ABCD)
#   2-3  float32 -12.25 low word first (CDAB)
#   4    u16 1234
#   5    s16 -5
#   6-7  u32 123456789 (ABCD)
#   8-9  float32 50.02 (ABCD)
# Input registers: the same values. Reading past address 9 is answered with exception 02 (illegal data address).
# Only unit 1 answers; a request to any other unit is ignored (the master sees a timeout).
import struct
import sys
import time

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartSerialServer
from pymodbus.transaction import ModbusRtuFramer


def f32(x, order):
    hi, lo = struct.unpack(">HH", struct.pack(">f", x))
    return [hi, lo] if order == "ABCD" else [lo, hi]


DELAY = float(sys.argv[3]) / 1000 if len(sys.argv) > 3 else 0.0


class SlowContext(ModbusSlaveContext):
    # Every request is validated first (exceptions included): the delay goes there.
    def validate(self, fc_as_hex, address, count=1):
        if DELAY > 0:
            time.sleep(DELAY)
        return super().validate(fc_as_hex, address, count)


regs = f32(230.5, "ABCD") + f32(-12.25, "CDAB") + [1234, (-5) & 0xFFFF] + [123456789 >> 16, 123456789 & 0xFFFF] + f32(50.02, "ABCD")
store = SlowContext(
    hr=ModbusSequentialDataBlock(0, regs),
    ir=ModbusSequentialDataBlock(0, regs),
    co=ModbusSequentialDataBlock(0, [1, 0, 1, 1, 0, 0, 0, 1]),
    di=ModbusSequentialDataBlock(0, [0, 1, 0, 0, 0, 0, 0, 0]),
    zero_mode=True,
)
context = ModbusServerContext(slaves={1: store}, single=False)
print("ready", flush=True)
StartSerialServer(context=context, framer=ModbusRtuFramer, port=sys.argv[1], baudrate=int(sys.argv[2]) if len(sys.argv) > 2 else 9600,
                  broadcast_enable=len(sys.argv) > 4 and sys.argv[4] == "broadcast")
