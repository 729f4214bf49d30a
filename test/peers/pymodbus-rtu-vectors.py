# Prints, one per line, "<name>\t<hex ADU>" for the rc485 RTU fixture frames as pymodbus 3.0.0's RTU framer encodes them
# (unit 0x11). test/rtu-pymodbus.test.ts compares them with test/portable/rtu/vectors.ts. Run with /usr/bin/python3.
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.factory import ClientDecoder
from pymodbus.bit_read_message import ReadCoilsRequest, ReadCoilsResponse, ReadDiscreteInputsRequest, ReadDiscreteInputsResponse
from pymodbus.bit_write_message import WriteSingleCoilRequest, WriteSingleCoilResponse, WriteMultipleCoilsRequest, WriteMultipleCoilsResponse
from pymodbus.register_read_message import (ReadHoldingRegistersRequest, ReadHoldingRegistersResponse, ReadInputRegistersRequest,
    ReadInputRegistersResponse, ReadWriteMultipleRegistersRequest, ReadWriteMultipleRegistersResponse)
from pymodbus.register_write_message import (WriteSingleRegisterRequest, WriteSingleRegisterResponse, WriteMultipleRegistersRequest,
    WriteMultipleRegistersResponse, MaskWriteRegisterRequest, MaskWriteRegisterResponse)
from pymodbus.diag_message import (ReturnQueryDataRequest, ReturnQueryDataResponse, ClearCountersRequest, ClearCountersResponse,
    ReturnBusMessageCountRequest, ReturnBusMessageCountResponse, ReturnSlaveBusCharacterOverrunCountRequest)
from pymodbus.other_message import (ReadExceptionStatusRequest, ReadExceptionStatusResponse, GetCommEventCounterRequest,
    GetCommEventCounterResponse, ReportSlaveIdRequest, ReportSlaveIdResponse)
from pymodbus.mei_message import ReadDeviceInformationRequest, ReadDeviceInformationResponse
from pymodbus.pdu import ExceptionResponse

framer = ModbusRtuFramer(ClientDecoder())
device_info = ReadDeviceInformationResponse(1, {0: b"Company identification", 1: b"Product code XX", 2: b"V2.11"})
device_info.conformity = 0x01
event_counter = GetCommEventCounterResponse(0x108)
event_counter.status = False  # pymodbus encodes "not ready" as status word 0xFFFF, as in the spec's example
messages = [
    ("01 req", ReadCoilsRequest(0x13, 0x13)),
    ("01 rsp", ReadCoilsResponse([1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1])),
    ("02 req", ReadDiscreteInputsRequest(0xC4, 0x16)),
    ("02 rsp", ReadDiscreteInputsResponse([0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 1])),
    ("03 req", ReadHoldingRegistersRequest(0x6B, 3)),
    ("03 rsp", ReadHoldingRegistersResponse([0x022B, 0, 0x64])),
    ("04 req", ReadInputRegistersRequest(8, 1)),
    ("04 rsp", ReadInputRegistersResponse([10])),
    ("05 req", WriteSingleCoilRequest(0xAC, True)),
    ("05 rsp", WriteSingleCoilResponse(0xAC, True)),
    ("06 req", WriteSingleRegisterRequest(1, 3)),
    ("06 rsp", WriteSingleRegisterResponse(1, 3)),
    ("07 req", ReadExceptionStatusRequest()),
    ("07 rsp", ReadExceptionStatusResponse(0x6D)),
    ("08/00 req", ReturnQueryDataRequest(0xA537)),
    ("08/00 rsp", ReturnQueryDataResponse(0xA537)),
    ("08/0A req", ClearCountersRequest()),
    ("08/0A rsp", ClearCountersResponse()),
    ("08/0B req", ReturnBusMessageCountRequest()),
    ("08/0B rsp", ReturnBusMessageCountResponse(0x0123)),
    ("08/12 req", ReturnSlaveBusCharacterOverrunCountRequest()),
    ("0B req", GetCommEventCounterRequest()),
    ("0B rsp", event_counter),
    ("0F req", WriteMultipleCoilsRequest(0x13, [1, 0, 1, 1, 0, 0, 1, 1, 1, 0])),
    ("0F rsp", WriteMultipleCoilsResponse(0x13, 10)),
    ("10 req", WriteMultipleRegistersRequest(1, [0x000A, 0x0102])),
    ("10 rsp", WriteMultipleRegistersResponse(1, 2)),
    ("11 req", ReportSlaveIdRequest()),
    ("11 rsp", ReportSlaveIdResponse(b"rc485", True)),
    ("16 req", MaskWriteRegisterRequest(4, 0xF2, 0x25)),
    ("16 rsp", MaskWriteRegisterResponse(4, 0xF2, 0x25)),
    ("17 req", ReadWriteMultipleRegistersRequest(read_address=3, read_count=6, write_address=0x0E, write_registers=[0xFF, 0xFF, 0xFF])),
    ("17 rsp", ReadWriteMultipleRegistersResponse([0xFE, 0xACD, 1, 3, 0xD, 0xFF])),
    ("2B req", ReadDeviceInformationRequest(1, 0)),
    ("2B rsp", device_info),
    ("exc req", ReadCoilsRequest(0x04A1, 1)),
    ("exc rsp", ExceptionResponse(0x01, 0x02)),
]
for name, message in messages:
    message.slave_id = 0x11
    message.unit_id = 0x11
    print(name + "\t" + framer.buildPacket(message).hex().upper())
