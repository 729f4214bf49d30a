# A misbehaving Modbus RTU slave for rc485's late-reply test: pymodbus 3.0.0 (Debian python3-pymodbus) serving unit 1 on
# a serial device (one end of a socat pseudo-terminal pair), answering some requests late and some twice.
# Usage: pymodbus-faulty-slave.py DEVICE BAUD SEED LATE_MS_MIN LATE_MS_MAX LATE_PROB DUP_PROB DUP_MS_MIN DUP_MS_MAX
#
# Holding and input registers 0..99 hold 1000 + 7 × address (every register a different value). Each request draws a
# fault from a seeded generator: late (the answer is held LATE_MS_MIN..LATE_MS_MAX ms; the slave processes one request at
# a time, so requests arriving meanwhile wait their turn), repeated (the answer is sent again DUP_MS_MIN..DUP_MS_MAX ms
# after the first copy), or neither. One line per injected fault on stdout ("late", "dup"), so the test can count them.
import asyncio
import random
import sys
import time

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartSerialServer
from pymodbus.server.async_io import ModbusSingleRequestHandler
from pymodbus.transaction import ModbusRtuFramer

device, baud, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
late_min, late_max, late_p = float(sys.argv[4]) / 1000, float(sys.argv[5]) / 1000, float(sys.argv[6])
dup_p, dup_min, dup_max = float(sys.argv[7]), float(sys.argv[8]) / 1000, float(sys.argv[9]) / 1000
rng = random.Random(seed)
pending_dup = [False]


class FaultyContext(ModbusSlaveContext):
    # Every request is validated first: the fault is drawn there.
    def validate(self, fc_as_hex, address, count=1):
        if rng.random() < late_p:
            print("late", flush=True)
            time.sleep(rng.uniform(late_min, late_max))
        pending_dup[0] = rng.random() < dup_p
        return super().validate(fc_as_hex, address, count)


send = ModbusSingleRequestHandler._send_


def send_maybe_twice(self, data):
    send(self, data)
    if pending_dup[0]:
        pending_dup[0] = False
        print("dup", flush=True)
        asyncio.get_event_loop().call_later(rng.uniform(dup_min, dup_max), lambda: send(self, data))


ModbusSingleRequestHandler._send_ = send_maybe_twice

regs = [1000 + 7 * a for a in range(100)]
store = FaultyContext(hr=ModbusSequentialDataBlock(0, regs), ir=ModbusSequentialDataBlock(0, regs), zero_mode=True)
context = ModbusServerContext(slaves={1: store}, single=False)
print("ready", flush=True)
StartSerialServer(context=context, framer=ModbusRtuFramer, port=device, baudrate=baud)
