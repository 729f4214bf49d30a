/*
 * Store-and-forward ring for readings on their way to the MQTT broker (docs/mqtt.md, "Store and forward"), kept in
 * compact records (modules/forwarding/ring-record.ts) on a block storage (modules/forwarding/ring-storage.ts): RAM, a file on Node, or a flash
 * partition on the ESP32. The same code runs on all three; time never enters it.
 *
 * Theory of operation. Each reading gets a sequence number (seq) when it is pushed and is appended as one record at the
 * write position; a record never crosses a block. When the current block is full the next block in ring order is
 * erased and opened with a higher generation; if it still held readings the broker never acknowledged, they are
 * dropped (counted), so the ring is bounded in bytes and always keeps the newest readings. Blocks are used strictly in
 * turn, so every block is erased equally often (wear spreads over the whole region).
 *
 * Readings leave oldest first. A reading is queued, then in flight (published with QoS 1, MQTT 3.1.1 §4.3.2), then
 * acknowledged (PUBACK). The head — the oldest reading not acknowledged — moves only over acknowledged readings, so an
 * out-of-order PUBACK never reorders anything. The head is persisted as an ack record ("every reading up to seq was
 * acknowledged") when nothing is left in flight or every `ackBatch` acknowledgements; after a crash the ring resends
 * from the persisted head, so a reading can reach the broker again (at most `ackBatch` + window of them) but never with
 * another seq: the subscriber drops a seq it has already seen (docs/mqtt.md, "Exactly once").
 *
 * Durability: on a storage with deferred sync (a file) a reading is handed out for publishing only once it is durable
 * (after sync(), which the host calls on a timer) — so a seq the subscriber has seen is never reused for another
 * reading after a power cut. On flash and RAM a write is durable when it returns.
 *
 * Recovery (the constructor): every block header is read; the blocks that are ours are read in generation order, record
 * by record; a torn record (bad length or CRC) ends its block, and a torn newest block is closed (the next write opens a
 * fresh block). Readings after the last ack record are queued again, oldest first; the ones from before this start are
 * `historical(seq)` (seq < bootSeq).
 *
 * Memory: a record scratch per direction, the block generations (4 bytes per block) and the in-flight bookkeeping
 * (5 bytes per in-flight slot), all allocated here. No per-reading objects anywhere.
 */
import {
  ACK_RECORD_BYTES, BLOCK_FOREIGN, BLOCK_HEADER_BYTES, BLOCK_OURS, KIND_ACK, KIND_ERASED, KIND_READING, READING_HEADER_BYTES,
  blockGeneration, blockHeaderState, encodeBlockHeader, getU32, putU32, readingRecordBytes, recordIntact, recordLength, sealRecord,
} from "./ring-record";
import { MemoryRingStorage, type RingStorage } from "./ring-storage";

export interface ForwardRingOptions {
  /** Values per reading at most. */
  readonly maxPoints: number;
  /** Readings in flight at once at most (the session's window). Default 16. */
  readonly track?: number;
  /** Which site layout the records belong to (16 bits): blocks written for another layout are not replayed. */
  readonly layoutId?: number;
  /** Acknowledgements between two ack records at most (default: `track`). */
  readonly ackBatch?: number;
}

export interface RingRecovery {
  /** Readings found not yet acknowledged (to be replayed). */
  readonly replay: number;
  /** Torn records skipped. */
  readonly torn: number;
  /** Blocks of another format version or site layout, not replayed. */
  readonly foreignBlocks: number;
}

export class ForwardRing {
  /** Block size of a RAM ring: 4096 (a flash sector), smaller for rings of a few readings. */
  static memoryBlockSize(readings: number, maxPoints: number): number {
    const rec = readingRecordBytes(maxPoints);
    const want = BLOCK_HEADER_BYTES + rec * Math.max(1, Math.ceil(readings / 4));
    return Math.max(64, Math.min(Math.max(4096, BLOCK_HEADER_BYTES + rec), want));
  }

  /**
   * A RAM ring: `bytes` > 0 gives the byte budget (blocks that fit in it, at least 2), else room for at least `readings`
   * readings of `maxPoints` values.
   */
  static inMemory(readings: number, bytes: number, options: ForwardRingOptions): ForwardRing {
    const bs = ForwardRing.memoryBlockSize(bytes > 0 ? 1 << 30 : readings, options.maxPoints);
    const per = Math.floor((bs - BLOCK_HEADER_BYTES) / readingRecordBytes(options.maxPoints));
    const blocks = bytes > 0 ? Math.max(2, Math.floor(bytes / bs)) : Math.ceil(readings / per) + 1;
    return new ForwardRing(new MemoryRingStorage(bs, blocks), options);
  }

  readonly storage: RingStorage;
  readonly maxPoints: number;
  readonly blockSize: number;
  readonly blockCount: number;
  readonly track: number;
  readonly layoutId: number;
  readonly ackBatch: number;
  /** Readings the ring holds at least before dropping any: all blocks but the one being reopened. */
  readonly capacity: number;
  readonly recovery: RingRecovery;

  /** Oldest reading not acknowledged (== tailSeq when none). */
  headSeq = 1;
  /** The seq the next push gets. */
  tailSeq = 1;
  /** First seq pushed since this start: readings below it are replayed from storage (historical). */
  readonly bootSeq: number;
  /** Readings below it are durable (and may be published). */
  durableSeq = 1;
  /** The next reading to send. */
  private sendSeq = 1;
  /** Storage offset of reading sendSeq, or -1: find it by reading the storage. */
  private sendPos = -1;
  private persistedAck = 0;

  /** Readings dropped because the ring was full, never acknowledged. */
  dropped = 0;
  /** In-flight readings dropped to make room whose PUBACK may still come (settled by ack() or requeue()). */
  releasedInFlight = 0;
  /** Readings pushed since this start. */
  pushed = 0;
  /** Readings acknowledged since this start. */
  acknowledged = 0;
  inFlight = 0;
  /** Block erases since this start. */
  erases = 0;

  /** The reading loaded by nextQueued(): its meter, time, value count and values (from index 0). */
  loadedMeter = 0;
  loadedEpochMs = 0;
  loadedCount = 0;
  readonly values: Float64Array;
  private loadedSeq = 0;
  private loadedLength = 0;

  private writeBlock = 0;
  /** Offset in writeBlock of the next record; blockSize when the block is full or closed. */
  private writeOff: number;
  private maxGen = 0;
  /** The newest generation, block and write offset found by recovery. */
  private bootGen = 0;
  private bootBlock = -1;
  private bootOff = 0;
  private readonly gen: Uint32Array;
  /** Highest reading seq in each block (0: none). */
  private readonly lastSeqIn: Float64Array;
  private readonly posOf: Float64Array;
  private readonly ackedBits: Uint8Array;
  private readonly wbuf: Uint8Array;
  /** push()'s time, handed on to pushAt() in a typed array. */
  private readonly stamp = new Float64Array(1);
  private readonly wview: DataView;
  private readonly rbuf: Uint8Array;
  private readonly rview: DataView;
  private readonly hbuf: Uint8Array;
  private readonly abuf: Uint8Array;

  constructor(storage: RingStorage, options: ForwardRingOptions) {
    const maxPoints = options.maxPoints;
    if (!Number.isInteger(maxPoints) || maxPoints < 1 || maxPoints > 1024) throw new RangeError("forwarding.ring: maxPoints must be an integer 1..1024");
    const rec = readingRecordBytes(maxPoints);
    if (storage.blockCount < 2) throw new RangeError("forwarding.mqtt.ringBytes: the ring needs at least 2 blocks");
    if (BLOCK_HEADER_BYTES + rec > storage.blockSize) {
      throw new RangeError(`forwarding.mqtt: a reading of ${maxPoints} values (${rec} bytes) does not fit a ring block of ${storage.blockSize} bytes`);
    }
    const track = options.track ?? 16;
    if (!Number.isInteger(track) || track < 1 || track > 1000) throw new RangeError("forwarding.ring: track must be an integer 1..1000");
    this.storage = storage;
    this.maxPoints = maxPoints;
    this.blockSize = storage.blockSize;
    this.blockCount = storage.blockCount;
    this.track = track;
    this.layoutId = (options.layoutId ?? 0) & 0xffff;
    this.ackBatch = options.ackBatch ?? track;
    this.capacity = (this.blockCount - 1) * Math.floor((this.blockSize - BLOCK_HEADER_BYTES) / rec);
    this.values = new Float64Array(maxPoints);
    this.gen = new Uint32Array(this.blockCount);
    this.lastSeqIn = new Float64Array(this.blockCount);
    this.posOf = new Float64Array(track);
    this.ackedBits = new Uint8Array(track);
    this.wbuf = new Uint8Array(rec);
    this.wview = new DataView(this.wbuf.buffer);
    this.rbuf = new Uint8Array(rec);
    this.rview = new DataView(this.rbuf.buffer);
    this.hbuf = new Uint8Array(BLOCK_HEADER_BYTES);
    this.abuf = new Uint8Array(ACK_RECORD_BYTES);
    this.writeOff = this.blockSize;
    this.recovery = this.recover();
    this.bootGen = this.maxGen;
    this.bootBlock = this.writeOff < this.blockSize ? this.writeBlock : -1;
    this.bootOff = this.writeOff;
    this.bootSeq = this.tailSeq;
  }

  /** Readings held not yet acknowledged (queued or in flight). */
  get length(): number {
    return this.tailSeq - this.headSeq;
  }

  /** Whether reading `seq` was taken before this start (replayed from storage). */
  historical(seq: number): boolean {
    return seq < this.bootSeq;
  }

  /** Whether sync() would make more readings durable. */
  get needsSync(): boolean {
    return this.durableSeq < this.tailSeq;
  }

  /** Appends a reading taken at `epochMs`; returns its seq. Drops the oldest block's readings when the ring is full. */
  push(meter: number, epochMs: number, values: ArrayLike<number>, count: number): number {
    this.stamp[0] = epochMs;
    return this.pushAt(meter, this.stamp, 0, values, count);
  }

  /**
   * push() with the reading's time taken from `times[index]` (epoch ms): the steady-state caller's form, as on V8 a
   * double handed to a call that is not inlined is boxed.
   */
  pushAt(meter: number, times: Float64Array, index: number, values: ArrayLike<number>, count: number): number {
    const n = count < this.maxPoints ? count : this.maxPoints;
    const len = readingRecordBytes(n);
    const b = this.wbuf;
    const v = this.wview;
    const seq = this.tailSeq;
    b[0] = KIND_READING;
    putU32(b, 3, seq);
    b[7] = meter & 0xff; b[8] = (meter >>> 8) & 0xff;
    v.setFloat64(9, times[index], true);
    for (let i = 0; i < n; i++) v.setFloat64(READING_HEADER_BYTES + 8 * i, values[i], true);
    sealRecord(b, len);
    this.append(b, len);
    this.lastSeqIn[this.writeBlock] = seq;
    this.tailSeq = seq + 1;
    this.pushed++;
    if (!this.storage.deferredSync) this.durableSeq = this.tailSeq;
    return seq;
  }

  /** Makes every pushed reading durable (a file: fsync) so it may be published. */
  sync(): void {
    if (this.durableSeq === this.tailSeq) return;
    this.storage.sync();
    this.durableSeq = this.tailSeq;
  }

  /**
   * Loads the oldest queued, durable reading into loadedMeter/loadedEpochMs/loadedCount/values and returns its seq, or 0
   * when there is none (or `track` readings are already unacknowledged behind the head). Call markSent(seq) to send it.
   */
  nextQueued(): number {
    const s = this.sendSeq;
    if (s >= this.durableSeq || s - this.headSeq >= this.track) return 0;
    if (this.loadedSeq === s) return s;
    if (this.sendPos < 0) this.sendPos = this.locate(s);
    const bs = this.blockSize;
    let pos = this.sendPos;
    for (let guard = 0; guard < this.blockCount * bs; guard++) {
      const blk = Math.floor(pos / bs);
      const off = pos - blk * bs;
      if (off < BLOCK_HEADER_BYTES) {
        // At the very end of the block before: go on in the block after it.
        pos = this.nextBlockStart((blk + this.blockCount - 1) % this.blockCount);
        if (pos < 0) break;
        continue;
      }
      // Records this run wrote are read back as written; the CRC was checked at recovery for the older ones.
      const len = off + 3 <= bs ? this.readRecord(pos, bs - off, false) : 0;
      if (len === 0) {
        if (blk === this.writeBlock) break;
        pos = this.nextBlockStart(blk);
        if (pos < 0) break;
        continue;
      }
      if (this.rbuf[0] === KIND_ACK) { pos += len; continue; }
      const seq = getU32(this.rbuf, 3);
      if (seq < s) { pos += len; continue; }
      if (seq > s) {
        // Readings missing from storage (a foreign block in between): skip the gap.
        if (this.headSeq === s) this.headSeq = seq;
        this.sendSeq = seq;
      }
      this.sendPos = pos;
      this.decodeLoaded(len, seq);
      return seq;
    }
    // Nothing more on storage: the rest was lost (cannot happen with intact storage).
    this.sendPos = -1;
    if (this.headSeq === this.sendSeq) this.headSeq = this.durableSeq;
    this.sendSeq = this.durableSeq;
    return 0;
  }

  /** The reading loaded by nextQueued() was handed to the client. */
  markSent(seq: number): void {
    if (seq !== this.sendSeq || this.loadedSeq !== seq) return;
    const i = seq % this.track;
    this.posOf[i] = this.sendPos;
    this.ackedBits[i] = 0;
    this.inFlight++;
    if (this.sendPos >= 0) this.sendPos += this.loadedLength;
    this.sendSeq = seq + 1;
    this.loadedSeq = 0;
  }

  /** The broker acknowledged `seq`; moves the head over acknowledged readings. False if `seq` is not in flight. */
  ack(seq: number): boolean {
    if (seq < this.headSeq) {
      // A reading released while in flight, acknowledged after all: delivered, not dropped.
      if (seq >= 1 && this.releasedInFlight > 0) {
        this.releasedInFlight--;
        this.acknowledged++;
      }
      return false;
    }
    if (seq >= this.sendSeq) return false;
    const i = seq % this.track;
    if (this.ackedBits[i] === 1) return true;
    this.ackedBits[i] = 1;
    this.inFlight--;
    this.acknowledged++;
    while (this.headSeq < this.sendSeq && this.ackedBits[this.headSeq % this.track] === 1) {
      this.ackedBits[this.headSeq % this.track] = 0;
      this.headSeq++;
    }
    if (this.inFlight === 0 || this.headSeq - 1 - this.persistedAck >= this.ackBatch) this.persistAck();
    return true;
  }

  /** Every in-flight reading is queued again (to be sent anew, in order): the connection was lost. */
  requeue(): void {
    if (this.sendSeq > this.headSeq) {
      this.sendPos = this.posOf[this.headSeq % this.track];
      for (let s = this.headSeq; s < this.sendSeq; s++) this.ackedBits[s % this.track] = 0;
    }
    this.inFlight = 0;
    this.sendSeq = this.headSeq;
    this.loadedSeq = 0;
    this.dropped += this.releasedInFlight;
    this.releasedInFlight = 0;
  }

  /** Writes the head as an ack record if it moved since the last one. */
  persistAck(): void {
    const acked = this.headSeq - 1;
    if (acked <= this.persistedAck) return;
    // An ack record never pushes unacknowledged readings out: when it would need the oldest block, it waits.
    if (this.writeOff + ACK_RECORD_BYTES > this.blockSize && this.lastSeqIn[(this.writeBlock + 1) % this.blockCount] >= this.headSeq) return;
    const b = this.abuf;
    b[0] = KIND_ACK;
    putU32(b, 3, acked);
    sealRecord(b, ACK_RECORD_BYTES);
    this.append(b, ACK_RECORD_BYTES);
    this.persistedAck = acked;
  }

  private decodeLoaded(len: number, seq: number): void {
    const b = this.rbuf;
    const v = this.rview;
    const n = (len - readingRecordBytes(0)) / 8;
    this.loadedMeter = b[7] | (b[8] << 8);
    this.loadedEpochMs = v.getFloat64(9, true);
    this.loadedCount = n;
    for (let i = 0; i < n; i++) this.values[i] = v.getFloat64(READING_HEADER_BYTES + 8 * i, true);
    this.loadedSeq = seq;
    this.loadedLength = len;
  }

  /**
   * Reads the record at `pos` into rbuf; its length if intact, 0 at the end of the block's records or a torn record.
   * `verify` false skips the CRC for a record this run wrote (writtenThisRun).
   */
  private readRecord(pos: number, room: number, verify = true): number {
    const b = this.rbuf;
    this.storage.read(pos, b, 3);
    if (b[0] === KIND_ERASED) return 0;
    const len = recordLength(b, this.maxPoints);
    if (len === 0 || len > room) return 0;
    this.storage.read(pos, b, len);
    if (!verify && this.writtenThisRun(pos)) return len;
    return recordIntact(b, len) ? len : 0;
  }

  /** Whether the record at `pos` was written by this run: in a block opened since recovery, or after the recovered end. */
  private writtenThisRun(pos: number): boolean {
    const blk = Math.floor(pos / this.blockSize);
    return this.gen[blk] > this.bootGen || (blk === this.bootBlock && pos - blk * this.blockSize >= this.bootOff);
  }

  /** The first record offset of the block after `blk` that is ours, -1 past the write block. */
  private nextBlockStart(blk: number): number {
    let b = blk;
    for (let i = 0; i < this.blockCount; i++) {
      if (b === this.writeBlock) return -1;
      b = (b + 1) % this.blockCount;
      if (this.gen[b] !== 0) return b * this.blockSize + BLOCK_HEADER_BYTES;
    }
    return -1;
  }

  /** The oldest block in use (after the write block in ring order), or -1 when none. */
  private oldestBlock(): number {
    for (let i = 1; i <= this.blockCount; i++) {
      const b = (this.writeBlock + i) % this.blockCount;
      if (this.gen[b] !== 0) return b;
    }
    return -1;
  }

  /** Storage offset of the first reading with seq >= `seq` (the write position when there is none). */
  private locate(seq: number): number {
    const bs = this.blockSize;
    let blk = this.oldestBlock();
    while (blk >= 0) {
      let off = BLOCK_HEADER_BYTES;
      for (;;) {
        const len = off + 3 <= bs ? this.readRecord(blk * bs + off, bs - off) : 0;
        if (len === 0) break;
        if (this.rbuf[0] === KIND_READING && getU32(this.rbuf, 3) >= seq) return blk * bs + off;
        off += len;
      }
      const next = this.nextBlockStart(blk);
      blk = next < 0 ? -1 : Math.floor(next / bs);
    }
    return this.writeBlock * bs + (this.writeOff < bs ? this.writeOff : bs);
  }

  private append(b: Uint8Array, len: number): void {
    if (this.writeOff + len > this.blockSize) this.openBlock();
    this.storage.write(this.writeBlock * this.blockSize + this.writeOff, b, len);
    this.writeOff += len;
  }

  /** Erases the next block in turn (dropping what it held) and makes it the write block. */
  private openBlock(): void {
    const nb = (this.writeBlock + 1) % this.blockCount;
    if (this.gen[nb] !== 0) this.release(nb);
    this.gen[nb] = 0;
    this.lastSeqIn[nb] = 0;
    this.storage.erase(nb);
    this.erases++;
    this.maxGen++;
    encodeBlockHeader(this.hbuf, this.maxGen, this.layoutId);
    this.storage.write(nb * this.blockSize, this.hbuf, BLOCK_HEADER_BYTES);
    this.gen[nb] = this.maxGen;
    this.writeBlock = nb;
    this.writeOff = BLOCK_HEADER_BYTES;
  }

  /** Block `blk` is about to be erased: its readings the broker has not acknowledged are dropped. */
  private release(blk: number): void {
    const bs = this.blockSize;
    let off = BLOCK_HEADER_BYTES;
    let last = 0;
    for (;;) {
      const len = off + 3 <= bs ? this.readRecord(blk * bs + off, bs - off) : 0;
      if (len === 0) break;
      off += len;
      if (this.rbuf[0] !== KIND_READING) continue;
      const seq = getU32(this.rbuf, 3);
      if (seq < this.headSeq) continue;
      last = seq;
      if (seq < this.sendSeq) {
        if (this.ackedBits[seq % this.track] === 0) { this.releasedInFlight++; this.inFlight--; }
      } else this.dropped++;
    }
    // The records of this block are about to vanish: a send position inside it (or at its end) is found again later.
    if (this.sendPos >= blk * bs && this.sendPos <= (blk + 1) * bs) this.sendPos = -1;
    if (last < this.headSeq) return;
    const inFlightEnd = last + 1 < this.sendSeq ? last + 1 : this.sendSeq;
    for (let s = this.headSeq; s < inFlightEnd; s++) this.ackedBits[s % this.track] = 0;
    this.headSeq = last + 1;
    // Acknowledged readings right behind the new head are released too.
    while (this.headSeq < this.sendSeq && this.ackedBits[this.headSeq % this.track] === 1) {
      this.ackedBits[this.headSeq % this.track] = 0;
      this.headSeq++;
    }
    if (this.sendSeq < this.headSeq) {
      this.sendSeq = this.headSeq;
      this.sendPos = -1;
    }
    if (this.loadedSeq !== 0 && this.loadedSeq < this.headSeq) this.loadedSeq = 0;
  }

  private recover(): RingRecovery {
    const n = this.blockCount;
    const bs = this.blockSize;
    let foreign = 0;
    let newest = -1;
    for (let b = 0; b < n; b++) {
      this.storage.read(b * bs, this.hbuf, BLOCK_HEADER_BYTES);
      const state = blockHeaderState(this.hbuf, this.layoutId);
      if (state === BLOCK_FOREIGN) foreign++;
      if (state !== BLOCK_OURS) continue;
      const g = blockGeneration(this.hbuf);
      this.gen[b] = g;
      if (g > this.maxGen) { this.maxGen = g; newest = b; }
    }
    if (newest < 0) {
      // A fresh ring: the first push opens block 0.
      this.writeBlock = n - 1;
      this.writeOff = bs;
      return { replay: 0, torn: 0, foreignBlocks: foreign };
    }
    this.writeBlock = newest;
    let torn = 0;
    let first = 0;
    let maxSeq = 0;
    let ackSeq = 0;
    let lastGen = 0;
    for (let i = 1; i <= n; i++) {
      const b = (newest + i) % n;
      if (this.gen[b] === 0) continue;
      if (this.gen[b] <= lastGen) { this.gen[b] = 0; continue; }
      lastGen = this.gen[b];
      let off = BLOCK_HEADER_BYTES;
      let closed = false;
      for (;;) {
        if (off + 3 > bs) break;
        this.storage.read(b * bs + off, this.rbuf, 1);
        if (this.rbuf[0] === KIND_ERASED) break;
        const len = this.readRecord(b * bs + off, bs - off);
        if (len === 0) { torn++; closed = true; break; }
        const seq = getU32(this.rbuf, 3);
        if (this.rbuf[0] === KIND_ACK) { if (seq > ackSeq) ackSeq = seq; } else {
          if (first === 0) first = seq;
          if (seq > maxSeq) maxSeq = seq;
          this.lastSeqIn[b] = seq;
        }
        off += len;
      }
      if (b === newest) this.writeOff = closed ? bs : off;
    }
    this.tailSeq = (maxSeq > ackSeq ? maxSeq : ackSeq) + 1;
    this.headSeq = first === 0 || ackSeq + 1 > first ? ackSeq + 1 : first;
    if (this.headSeq > this.tailSeq) this.headSeq = this.tailSeq;
    this.persistedAck = this.headSeq - 1;
    this.sendSeq = this.headSeq;
    this.sendPos = -1;
    // What the last run wrote may still sit in the page cache: make it durable before any of it is published.
    if (this.storage.deferredSync) this.storage.sync();
    this.durableSeq = this.tailSeq;
    return { replay: this.tailSeq - this.headSeq, torn, foreignBlocks: foreign };
  }
}
