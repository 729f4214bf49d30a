// The rc485 RS-485 site simulator: public API (docs/simulator.md).
export { Simulation, type SimulationOptions } from "./simulation";
export { Segment, type SegmentOptions, type SegmentCounters, Link } from "./segment";
export { type NoiseOptions } from "./noise";
export { SimHost, SimPort, type HostOptions, type HostPortOptions, type HostCounters } from "./host";
export { Uart, type UartKind, type UartOptions, type UartCounters } from "./uart";
export { MeterEmulator, type MeterOptions, type MeterCounters } from "./meter";
export { ScriptedNode, type ReceivedBatch } from "./probe";
export { Trace } from "./trace";
export { RX_FRAMING, RX_PARITY, RX_COLLISION, RX_TRUNCATED, RX_NOISE, RX_SPURIOUS } from "./character";
