/*
 * A scripted node for tests: sends given bytes at given times through a SimHost port (so DE, FIFO and pacing are the
 * host adapter's) and records every batch it receives with its hand-over time. Test tooling: it allocates freely.
 */
import { NO_DEADLINE, type PortListener, type Rs485Port, type Timed } from "../../modules/port/contract";

export interface ReceivedBatch {
  time: number;
  bytes: Uint8Array;
}

export class ScriptedNode implements PortListener, Timed {
  private readonly script: { at: number; bytes: Uint8Array }[] = [];
  private sending: Uint8Array | null = null;
  readonly received_: ReceivedBatch[] = [];
  /** Times transmitted() was called (DE dropped). */
  readonly transmittedAt: number[] = [];
  /** Times each scripted frame actually started (transmit() was called). */
  readonly startedAt: number[] = [];

  constructor(readonly port: Rs485Port) {}

  /** Queues `bytes` to be sent at `at` µs (or as soon after as the previous frame has finished). */
  send(at: number, bytes: Uint8Array | readonly number[]): this {
    this.script.push({ at, bytes: bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes) });
    this.script.sort((a, b) => a.at - b.at);
    return this;
  }

  /** All received bytes, concatenated. */
  get rx(): Uint8Array {
    const n = this.received_.reduce((s, b) => s + b.bytes.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const b of this.received_) {
      out.set(b.bytes, o);
      o += b.bytes.length;
    }
    return out;
  }

  get batches(): readonly ReceivedBatch[] {
    return this.received_;
  }

  received(buffer: Uint8Array, offset: number, length: number, now: number): void {
    this.received_.push({ time: now, bytes: buffer.slice(offset, offset + length) });
  }

  transmitted(now: number): void {
    this.transmittedAt.push(now);
    this.sending = null;
  }

  nextDeadline(): number {
    if (this.sending || this.script.length === 0) return NO_DEADLINE;
    return this.script[0].at;
  }

  service(now: number): void {
    if (this.sending || this.script.length === 0 || this.script[0].at > now) return;
    const next = this.script.shift()!;
    this.sending = next.bytes;
    this.startedAt.push(now);
    this.port.transmit(next.bytes, 0, next.bytes.length);
  }
}
