/*
 * An electrical RS-485 segment: a shared half-duplex line that every attached UART hears.
 *
 * Theory of operation (character-level, not bit-level, so it is fast):
 *  - A transmitting UART tells the segment when each character's start bit began and its last stop bit ended; the
 *    segment resolves the character at its end and hands the result to every receiver at that instant (the stop bit).
 *  - Driver enable: a node drives the line exactly while its DE is high (MAX485-style DE/RE tied: its receiver is off
 *    meanwhile unless the port is configured with local echo). A character whose start bit began before DE rose is lost;
 *    one whose DE dropped before its last stop bit ended is truncated: the bits after the drop read as idle 1s and the
 *    byte is flagged as a framing error (the undriven line is not trusted). A character shifted out with DE low never
 *    reaches the line (`unsent`).
 *  - Contention: if any other node had DE high at any moment of a character (sending or merely holding the line idle),
 *    the character is a collision: its bits are scrambled with the segment's PRNG and it is counted. This is how holding
 *    DE into another node's reply shows up.
 *  - Noise (seeded, per segment; see noise.ts): independent bit errors on every bit of every character including start and
 *    stop bits, bursts that scramble the bits under them, and spurious characters when the line is idle.
 *  - A sniffer groups the line's characters into frames for the trace.
 *
 * Timing follows modules/rtu/timing.ts: a character is bits/baud seconds; transmitters place character k of a back-to-back
 * run at origin + ceil(k × bits × 10^6 / baud) µs.
 */
import { Prng } from "../../modules/common/prng";
import { LineTiming, type Framing } from "../../modules/rtu/timing";
import { CharacterCodec, RX_COLLISION, RX_FRAMING, RX_NOISE, RX_PARITY, RX_SPURIOUS, RX_TRUNCATED } from "./character";
import type { EventQueue, EventTarget } from "./events";
import { NoiseModel, type NoiseOptions } from "./noise";
import { FRAME_GAP, FRAME_LOST, TRACE_FRAME_BYTES, type Trace } from "./trace";

/** Receives line characters (a UART's receiver). */
export interface CharacterSink {
  lineCharacter(byte: number, flags: number, now: number): void;
}

/** One node's attachment to a segment: its DE state and receiver. */
export class Link {
  de = false;
  deRise = -1;
  lastRise = -1;
  lastFall = -1;
  constructor(readonly segment: Segment, readonly index: number, readonly name: string, readonly echo: boolean, readonly sink: CharacterSink) {}
}

export interface SegmentOptions {
  name?: string;
  baud: number;
  framing?: Framing;
  noise?: NoiseOptions;
}

export interface SegmentCounters {
  /** Characters resolved on the line (sent by nodes). */
  characters: number;
  /** Characters garbled because another node's driver was on. */
  collisions: number;
  /** Characters cut by their own driver's DE (dropped early or raised late). */
  truncated: number;
  /** Characters a UART shifted out while its DE was low (never on the line). */
  unsent: number;
  /** Characters whose bits noise changed. */
  noisyCharacters: number;
  /** Bits flipped by independent bit errors. */
  bitErrors: number;
  bursts: number;
  /** Characters made by noise on an idle line (spurious events and idle bursts). */
  spurious: number;
  framingErrors: number;
  parityErrors: number;
  /** Characters a receiver could not see at all (start bit lost and no later 0 bit). */
  lost: number;
}

const NOISE_CHAR_END = 1;

export class Segment implements EventTarget {
  readonly name: string;
  readonly timing: LineTiming;
  readonly codec: CharacterCodec;
  /** Exact bit time (fractional µs). */
  readonly bitUs: number;
  readonly links: Link[] = [];
  readonly counters: SegmentCounters = {
    characters: 0, collisions: 0, truncated: 0, unsent: 0, noisyCharacters: 0, bitErrors: 0, bursts: 0, spurious: 0,
    framingErrors: 0, parityErrors: 0, lost: 0,
  };
  readonly noise: NoiseModel;
  private readonly prng: Prng;

  // Noise character in flight (spurious byte or idle-line burst).
  private noiseStart = -1;
  private noiseEnd = -1;
  private noiseRemaining = 0;

  // Sniffer state: the open frame.
  private frameDriver = "";
  private frameStart = 0;
  private frameEnd = -1;
  private frameLength = 0;
  private frameFlags = 0;
  private readonly frameBytes = new Uint8Array(TRACE_FRAME_BYTES);

  constructor(readonly queue: EventQueue, readonly trace: Trace, seed: number, options: SegmentOptions) {
    if (options === null || typeof options !== "object") throw new TypeError("segment options must be an object { baud, framing?, noise?, name? }");
    this.name = options.name ?? "bus";
    this.timing = new LineTiming(options.baud, options.framing ?? "8N1");
    this.codec = new CharacterCodec(this.timing.framing);
    this.bitUs = 1000000 / this.timing.baud;
    this.prng = new Prng(seed);
    this.noise = new NoiseModel(this, new Prng(this.prng.nextUint32()), options.noise ?? {});
  }

  attach(name: string, echo: boolean, sink: CharacterSink): Link {
    const link = new Link(this, this.links.length, name, echo, sink);
    this.links.push(link);
    return link;
  }

  /** Raises or drops a node's driver. */
  setDe(link: Link, high: boolean, now: number): void {
    if (link.de === high) return;
    link.de = high;
    if (high) link.deRise = now;
    else {
      link.lastRise = link.deRise;
      link.lastFall = now;
    }
  }

  /** True when no driver is on and no noise character is in flight. */
  idle(now: number): boolean {
    for (let i = 0; i < this.links.length; i++) if (this.links[i].de) return false;
    return this.noiseEnd <= now;
  }

  /** Did `link` drive the line at any moment of (start, end)? */
  private drove(link: Link, start: number, end: number): boolean {
    if (link.de && link.deRise < end) return true;
    return link.lastFall > start && link.lastRise < end && link.lastRise >= 0;
  }

  /** Called by a transmitting UART at the end (last stop bit) of a character whose start bit began at `start`. */
  characterSent(link: Link, byte: number, start: number, end: number): void {
    const c = this.counters;
    let v = this.codec.encode(byte);
    let flags = 0;
    // Own driver coverage.
    if (link.de ? link.deRise > start : !(link.lastRise >= 0 && link.lastRise <= start && link.lastFall > start)) {
      if (this.drove(link, start, end)) {
        // DE rose inside the character: the receiver never saw its start bit.
        c.truncated++;
        this.sniff(link.name, -1, RX_TRUNCATED, start, end);
      } else c.unsent++;
      return;
    }
    if (!link.de && link.lastFall < end) {
      const sent = Math.floor((link.lastFall - start) / this.bitUs);
      c.truncated++;
      if (sent < 1) {
        this.sniff(link.name, -1, RX_TRUNCATED, start, end);
        return;
      }
      v |= this.codec.allOnes & ~((1 << sent) - 1); // the undriven rest reads idle 1s ...
      flags |= RX_TRUNCATED | RX_FRAMING; // ... but its stop bit never came from the driver: not trusted
    }
    c.characters++;
    // Contention.
    for (let i = 0; i < this.links.length; i++) {
      const other = this.links[i];
      if (other !== link && this.drove(other, start, end)) {
        v ^= (this.prng.nextUint32() | 2) & this.codec.allOnes & ~1;
        flags |= RX_COLLISION;
        c.collisions++;
        break;
      }
    }
    // Noise: a noise character still on the line, then bit errors and bursts.
    const clean = v;
    if (this.noiseEnd > start && this.noiseStart < end) v = this.scramble(v, start, this.noiseStart, this.noiseEnd);
    v = this.noise.corrupt(v, start, end);
    if (v !== clean) {
      flags |= RX_NOISE;
      c.noisyCharacters++;
    }
    this.deliver(link, v, flags, start, end);
  }

  /** Flips each bit whose middle lies in [from, to) with probability `h` (default 1/2). */
  scramble(v: number, start: number, from: number, to: number, h: number = 0.5): number {
    if (h !== 0.5) {
      for (let i = 0; i < this.codec.bits; i++) {
        const mid = start + (i + 0.5) * this.bitUs;
        if (mid >= from && mid < to && this.prng.nextFloat() < h) v ^= 1 << i;
      }
      return v;
    }
    let r = this.prng.nextUint32();
    for (let i = 0; i < this.codec.bits; i++) {
      const mid = start + (i + 0.5) * this.bitUs;
      if (mid >= from && mid < to) {
        if (r & 1) v ^= 1 << i;
        r >>>= 1;
      }
    }
    return v;
  }

  private deliver(from: Link | null, v: number, flags: number, start: number, end: number): void {
    const byte = this.codec.decode(v);
    const name = from === null ? "~noise" : from.name;
    if (byte < 0) {
      this.counters.lost++;
      this.sniff(name, -1, flags, start, end);
      return;
    }
    flags |= this.codec.flags;
    if (flags & RX_FRAMING) this.counters.framingErrors++;
    if (flags & RX_PARITY) this.counters.parityErrors++;
    this.sniff(name, byte, flags, start, end);
    for (let i = 0; i < this.links.length; i++) {
      const l = this.links[i];
      if (l === from ? l.echo : !l.de || l.echo) l.sink.lineCharacter(byte, flags, end);
    }
  }

  /** Noise model: start `count` random characters now if the line is idle. */
  startNoise(count: number, now: number): void {
    if (!this.idle(now)) return;
    this.noiseRemaining += count;
    if (this.noiseEnd <= now) this.nextNoiseCharacter(now);
  }

  private nextNoiseCharacter(now: number): void {
    this.noiseRemaining--;
    this.noiseStart = now;
    this.noiseEnd = now + this.timing.characterUs;
    this.queue.at(this.noiseEnd, this, NOISE_CHAR_END, 0);
  }

  fire(kind: number, arg: number, now: number): void {
    if (kind === NOISE_CHAR_END) {
      const start = this.noiseStart;
      let masked = false;
      for (let i = 0; i < this.links.length; i++) if (this.drove(this.links[i], start, now)) masked = true;
      if (!masked) {
        this.counters.spurious++;
        this.deliver(null, (this.prng.nextUint32() & this.codec.allOnes) & ~1, RX_SPURIOUS | RX_NOISE, start, now);
      }
      if (this.noiseRemaining > 0 && this.idle(now)) this.nextNoiseCharacter(now);
      else this.noiseRemaining = 0;
      return;
    }
    this.noise.fire(kind, arg, now);
  }

  /** Sniffer: adds a character (or a lost one, byte -1) to the open frame, closing the previous frame first if needed. */
  private sniff(driver: string, byte: number, flags: number, start: number, end: number): void {
    if (this.frameEnd >= 0 && (driver !== this.frameDriver || start - this.frameEnd >= this.timing.t35Us)) this.flushFrame();
    if (this.frameEnd < 0) {
      this.frameDriver = driver;
      this.frameStart = start;
      this.frameLength = 0;
      this.frameFlags = 0;
    } else if (start - this.frameEnd > this.timing.t15Us) this.frameFlags |= FRAME_GAP;
    this.frameEnd = end;
    if (byte < 0) this.frameFlags |= flags | FRAME_LOST;
    else {
      this.frameFlags |= flags;
      if (this.frameLength < TRACE_FRAME_BYTES) this.frameBytes[this.frameLength] = byte;
      this.frameLength++;
    }
  }

  /** Writes the open frame to the trace (called when the next frame starts, and before the trace is read). */
  flushFrame(): void {
    if (this.frameEnd < 0) return;
    this.trace.frame(this.name, this.frameDriver, this.frameStart, this.frameEnd, this.frameBytes, this.frameLength, this.frameFlags);
    this.frameEnd = -1;
  }
}
