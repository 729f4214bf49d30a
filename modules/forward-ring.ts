/*
 * Store-and-forward ring for readings on their way to the MQTT broker (docs/mqtt.md, "Store and forward").
 *
 * Readings enter in the order they were taken and leave in that order. Each entry has a sequence number (1, 2, 3, … in
 * push order); entry `seq` lives in slot `seq % capacity`. An entry is queued, then in flight (handed to the MQTT client
 * with QoS 1, MQTT 3.1.1 §4.3.2: at least once), then acknowledged (PUBACK); the head is released as soon as it is
 * acknowledged, so out-of-order PUBACKs never reorder delivery. While the broker is unreachable nothing is in flight and
 * entries accumulate; when the ring is full the oldest entry (queued or in flight) is released to make room. A queued
 * one is dropped and counted at once. An in-flight one is already with the client, so its fate is open: if its
 * acknowledgement still comes it was delivered (counted in `acknowledged`), if the connection is lost first it was
 * dropped (counted in `dropped` by `requeue()`). So `dropped` counts exactly the entries the broker never acknowledged,
 * and pushed = acknowledged + dropped + length + releasedInFlight. This relies on the host's contract: one ack() per
 * PUBACK, and none for a message of an earlier connection. `requeue()` returns every in-flight entry to queued after a
 * connection loss whose in-flight messages the client will not resend itself.
 *
 * An entry is stored compactly: meter index, wall-clock epoch ms, and the meter's values (Float64, engineering units);
 * the payload text is formatted at send time. All memory is allocated in the constructor: capacity × maxPoints doubles
 * plus 13 bytes of bookkeeping per entry (`ForwardRing.entryBytes`); `capacityFor(bytes, maxPoints)` sizes a ring to a
 * byte budget (the ESP32 host's, docs/esp32.md).
 */

const QUEUED = 0;
const IN_FLIGHT = 1;
const ACKED = 2;

export class ForwardRing {
  /** Bytes one entry takes: the values (Float64) and meter, count, state and epoch. */
  static entryBytes(maxPoints: number): number {
    return 8 * maxPoints + 2 + 2 + 1 + 8;
  }

  /** Entries that fit in `bytes` (at least 1), for a ring of `maxPoints` values per entry. */
  static capacityFor(bytes: number, maxPoints: number): number {
    return Math.max(1, Math.floor(bytes / ForwardRing.entryBytes(maxPoints)));
  }

  readonly capacity: number;
  readonly maxPoints: number;
  /** Sequence number of the oldest entry held (== tailSeq when empty). */
  headSeq = 1;
  /** Sequence number the next push gets. */
  tailSeq = 1;
  /** Oldest sequence that may still be queued (entries below it are in flight or acknowledged). */
  private sendSeq = 1;
  /** Entries dropped because the ring was full, the broker never having acknowledged them. */
  dropped = 0;
  /** In-flight entries released to make room whose acknowledgement may still come (settled by ack() or requeue()). */
  releasedInFlight = 0;
  /** Entries pushed since construction. */
  pushed = 0;
  /** Entries acknowledged since construction. */
  acknowledged = 0;
  inFlight = 0;

  private readonly meterOf: Uint16Array;
  private readonly countOf: Uint16Array;
  private readonly state: Uint8Array;
  private readonly epoch: Float64Array;
  /** Values of slot k at [k × maxPoints, k × maxPoints + count). */
  readonly values: Float64Array;

  constructor(capacity: number, maxPoints: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1_000_000) throw new RangeError("forwarding.ring: capacity must be an integer 1..1000000");
    if (!Number.isInteger(maxPoints) || maxPoints < 1 || maxPoints > 1024) throw new RangeError("forwarding.ring: maxPoints must be an integer 1..1024");
    this.capacity = capacity;
    this.maxPoints = maxPoints;
    this.meterOf = new Uint16Array(capacity);
    this.countOf = new Uint16Array(capacity);
    this.state = new Uint8Array(capacity);
    this.epoch = new Float64Array(capacity);
    this.values = new Float64Array(capacity * maxPoints);
  }

  /** Entries held (queued, in flight or acknowledged behind an unacknowledged head). */
  get length(): number {
    return this.tailSeq - this.headSeq;
  }

  /** Appends a reading; returns its sequence number. Drops (and counts) the oldest entry when full. */
  push(meter: number, epochMs: number, values: ArrayLike<number>, count: number): number {
    if (this.tailSeq - this.headSeq === this.capacity) this.dropHead();
    const seq = this.tailSeq++;
    const slot = seq % this.capacity;
    const n = count < this.maxPoints ? count : this.maxPoints;
    this.meterOf[slot] = meter;
    this.countOf[slot] = n;
    this.epoch[slot] = epochMs;
    this.state[slot] = QUEUED;
    const base = slot * this.maxPoints;
    for (let i = 0; i < n; i++) this.values[base + i] = values[i];
    this.pushed++;
    return seq;
  }

  /** The oldest queued entry's sequence, or 0 when none is queued. Does not change state: call markSent() to send it. */
  nextQueued(): number {
    let s = this.sendSeq < this.headSeq ? this.headSeq : this.sendSeq;
    while (s < this.tailSeq && this.state[s % this.capacity] !== QUEUED) s++;
    this.sendSeq = s;
    return s < this.tailSeq ? s : 0;
  }

  /** Whether `seq` is still held. */
  holds(seq: number): boolean {
    return seq >= this.headSeq && seq < this.tailSeq;
  }

  meter(seq: number): number { return this.meterOf[seq % this.capacity]; }
  epochMs(seq: number): number { return this.epoch[seq % this.capacity]; }
  count(seq: number): number { return this.countOf[seq % this.capacity]; }
  /** Offset of entry `seq`'s first value in `values`. */
  valuesOffset(seq: number): number { return (seq % this.capacity) * this.maxPoints; }

  /** `seq` was handed to the client. */
  markSent(seq: number): void {
    if (!this.holds(seq)) return;
    const slot = seq % this.capacity;
    if (this.state[slot] !== QUEUED) return;
    this.state[slot] = IN_FLIGHT;
    this.inFlight++;
  }

  /** The broker acknowledged `seq`; releases the head while it is acknowledged. False if `seq` is no longer held. */
  ack(seq: number): boolean {
    if (!this.holds(seq)) {
      // An entry released while in flight, acknowledged after all: delivered, not dropped.
      if (seq >= 1 && seq < this.headSeq && this.releasedInFlight > 0) {
        this.releasedInFlight--;
        this.acknowledged++;
      }
      return false;
    }
    const slot = seq % this.capacity;
    if (this.state[slot] === IN_FLIGHT) this.inFlight--;
    if (this.state[slot] !== ACKED) this.acknowledged++;
    this.state[slot] = ACKED;
    while (this.headSeq < this.tailSeq && this.state[this.headSeq % this.capacity] === ACKED) this.headSeq++;
    return true;
  }

  /** Every in-flight entry becomes queued again (to be sent anew, in order). */
  requeue(): void {
    for (let s = this.headSeq; s < this.tailSeq; s++) {
      const slot = s % this.capacity;
      if (this.state[slot] === IN_FLIGHT) this.state[slot] = QUEUED;
    }
    this.inFlight = 0;
    this.sendSeq = this.headSeq;
    // Released in-flight entries not acknowledged before the connection was lost: never delivered by us.
    this.dropped += this.releasedInFlight;
    this.releasedInFlight = 0;
  }

  private dropHead(): void {
    const slot = this.headSeq % this.capacity;
    if (this.state[slot] === IN_FLIGHT) {
      this.inFlight--;
      this.releasedInFlight++;
    } else this.dropped++;
    this.headSeq++;
    // Acknowledged entries right behind a dropped head are released too (they were delivered).
    while (this.headSeq < this.tailSeq && this.state[this.headSeq % this.capacity] === ACKED) this.headSeq++;
  }
}
