/*
 * Adaptive strength for the FEC link (docs/fec.md §9; burst format version 2 in modules/fec-link.ts).
 *
 * Theory of operation. Noise on an RS-485 pair arrives in runs: independent bit errors hit one character at a time,
 * impulsive interference hits a few consecutive characters. The link is modelled as a Gilbert–Elliott chain over the
 * characters on the wire: in the good state a character is clean, in the bad state it is hit; the chain enters the bad
 * state with probability a per character and leaves it with probability b. Two numbers describe it and can be measured
 * from what the receiver corrects: the rate of error runs per character, β = a·b/(a + b), and the mean run length,
 * ℓ = 1/b.
 *
 *  - LinkErrorEstimator (receiving side) keeps exponentially decayed sums of the characters covered by decoded frames,
 *    the bad characters the decoder found and the runs they formed (FecReceiver's last* fields), over a window of about
 *    `windowFrames` frames; a frame beyond repair counts as nroots/2 + 1 bad characters. It quantises (β, ℓ) into one
 *    feedback byte, rounding both up (pessimistic; with a dead band of a quarter step around the code sent last, so
 *    that an estimate on a boundary does not flip the byte frame after frame), which the repeater sends back in the
 *    header of its own bursts. After `cleanFrames` frames in a row without a bad character it reports FEEDBACK_CLEAN
 *    instead: the link needs no parity (frames without a burst count too, docs/fec.md §9.3).
 *  - FecStrengthChooser (sending side) turns the peer's feedback byte into a setting (nroots, depth) per class of frame
 *    length: the setting with the fewest parity bytes (the least added bus time) whose predicted residual frame error
 *    rate meets `targetFer`. Hysteresis: it steps up as soon as the current setting's prediction exceeds the target, but
 *    steps down only to a setting predicted below target / `hysteresis`. Decisions are cached per length class and
 *    recomputed only when the feedback byte changes; without feedback (a fixed-strength peer sends version-1 bursts) it
 *    keeps its configured start setting. FEEDBACK_CLEAN selects no parity at all (nroots 0).
 *  - A decision predicts every candidate of the length class in one sweep per codeword count m: candidates that split
 *    the frame alike share the recursion over the frame's characters and differ only in how many parity characters
 *    follow, so the sweep runs over the frame once and reads each nroots off after its last parity character.
 *  - The prediction: a frame of L bytes coded as m codewords of about L/m bytes + nroots parity bytes fails when a
 *    codeword collects more than nroots/2 bad characters, or when the frame is damaged and the burst header (eight
 *    characters, two correctable) is lost. Only the codeword part depends on the setting, so only it drives the choice. For one codeword a forward recursion over the chain's states and the error
 *    count (its characters lie m apart on the wire, so the chain's m-step transition is used: P_k(G→B) = π_B(1 − ρ^k),
 *    P_k(B→B) = π_B + π_G·ρ^k, ρ = 1 − a − b) gives its failure probability f; the frame's is taken as 1 − (1 − f)^m.
 *    Treating the codewords as independent ignores that one long run hits several of them at once, which makes the
 *    prediction pessimistic, never optimistic.
 *
 * Pure and allocation-free after construction (scratch arrays are instance fields); time plays no part.
 */

/** Feedback byte meaning "no estimate yet" (the peer then keeps its configured strength). */
export const FEEDBACK_NONE = 0;
/** Feedback byte meaning "no bad character in the last `cleanFrames` frames": the peer may send frames without parity. */
export const FEEDBACK_CLEAN = 1;
/** Largest run-rate code: β = 2^(−q/2) per character, q = 1..31 (31 also stands for anything smaller). */
const RATE_CODES = 31;
/** Mean run lengths the feedback can carry (3 bits), in characters. */
export const FEEDBACK_RUN_LENGTHS: readonly number[] = Object.freeze([1, 1.25, 1.5, 2, 2.5, 3, 4, 6]);

/** Quantises a run rate (runs per character) and mean run length into a feedback byte, rounding both up. */
export function encodeFeedback(runRate: number, meanRun: number): number {
  let q = runRate > 0 ? Math.floor(-2 * Math.log2(runRate)) : RATE_CODES;
  if (q < 1) q = 1;
  if (q > RATE_CODES) q = RATE_CODES;
  let l = 0;
  while (l < 7 && FEEDBACK_RUN_LENGTHS[l] < meanRun) l++;
  return (q << 3) | l;
}

/** Run rate per character carried by a feedback byte (0 for FEEDBACK_NONE). */
export function feedbackRunRate(feedback: number): number {
  const q = (feedback >>> 3) & 31;
  return q === 0 ? 0 : Math.pow(2, -q / 2);
}

/** Mean run length in characters carried by a feedback byte. */
export function feedbackMeanRun(feedback: number): number {
  return FEEDBACK_RUN_LENGTHS[feedback & 7];
}

export interface EstimatorOptions {
  /** Frames in the estimate's (exponential) window, 8–4096 (default 64). */
  windowFrames?: number;
  /** Frames observed before an estimate is reported (default 8). */
  minFrames?: number;
  /** Frames in a row without a bad character after which the link is reported clean, 16..10^6 (default 1000). */
  cleanFrames?: number;
}

/** Receiving side: estimates the run rate and mean run length of the link from what the decoder found. */
export class LinkErrorEstimator {
  readonly windowFrames: number;
  readonly minFrames: number;
  readonly cleanFrames: number;
  /** Frames observed so far (not decayed). */
  frames = 0;
  /** Frames in a row observed without a bad character. */
  cleanRun = 0;
  /** Decayed sums: characters covered, bad characters, runs (a typed array: no number boxes on the byte path). */
  private readonly sums = new Float64Array(3);
  private readonly keep: number;
  /** The feedback byte for the current sums, recomputed at each observation. */
  private code = FEEDBACK_NONE;
  /** The rate/run code of the current sums (what `code` is unless the link is clean; the dead band refers to it). */
  private rateCode = FEEDBACK_NONE;

  constructor(options: EstimatorOptions = {}) {
    const w = options.windowFrames ?? 64, min = options.minFrames ?? 8;
    if (!Number.isInteger(w) || w < 8 || w > 4096) throw new RangeError(`windowFrames must be an integer 8..4096, got ${w}`);
    if (!Number.isInteger(min) || min < 1 || min > w) throw new RangeError(`minFrames must be an integer 1..windowFrames, got ${min}`);
    const clean = options.cleanFrames ?? 1000;
    if (!Number.isInteger(clean) || clean < 16 || clean > 1e6) throw new RangeError(`cleanFrames must be an integer 16..1000000, got ${clean}`);
    this.windowFrames = w;
    this.minFrames = min;
    this.cleanFrames = clean;
    this.keep = 1 - 1 / w;
  }

  /** A frame + burst of `symbols` characters was decoded; `errorSymbols` of them were bad, in `runs` runs. */
  observe(symbols: number, errorSymbols: number, runs: number): void {
    const k = this.keep, s = this.sums;
    s[0] = s[0] * k + symbols;
    s[1] = s[1] * k + errorSymbols;
    s[2] = s[2] * k + runs;
    this.frames++;
    if (errorSymbols > 0) this.cleanRun = 0;
    else if (this.cleanRun < this.cleanFrames) this.cleanRun++;
    if (this.frames < this.minFrames) return;
    // encodeFeedback, written out: a call with number arguments would box them on some engines (V8), per frame.
    const raw = s[0] > 0 ? -2 * Math.log2((s[2] + 0.5) / s[0]) : RATE_CODES + 1;
    let q = Math.floor(raw);
    // Dead band: keep the code sent last while the estimate stays within a quarter step of its half-octave, so an
    // estimate that hovers on a boundary does not make the peer decide again at every frame.
    const last = this.rateCode >>> 3;
    if (last > 0 && raw > last - 0.25 && raw < last + 1.25) q = last;
    if (q < 1) q = 1;
    if (q > RATE_CODES) q = RATE_CODES;
    const run = (s[1] + 0.5) / (s[2] + 0.5);
    let l = 0;
    while (l < 7 && FEEDBACK_RUN_LENGTHS[l] < run) l++;
    this.rateCode = (q << 3) | l;
    this.code = this.cleanRun >= this.cleanFrames ? FEEDBACK_CLEAN : this.rateCode;
  }

  /** A frame + burst of `symbols` characters was beyond repair by a code correcting `t` per codeword. */
  observeFailure(symbols: number, t: number): void {
    const s = this.sums;
    const l = (s[1] + 0.5) / (s[2] + 0.5);
    const runs = Math.ceil((t + 1) / l);
    this.observe(symbols, t + 1 > runs * l ? t + 1 : runs * l, runs);
  }

  /** Runs per character (half a run of prior, so a short clean history does not claim a perfect link). */
  get runRate(): number {
    const s = this.sums;
    return s[0] > 0 ? (s[2] + 0.5) / s[0] : 0;
  }

  /** Mean run length in characters (1 before any run). */
  get meanRun(): number {
    const s = this.sums;
    return (s[1] + 0.5) / (s[2] + 0.5);
  }

  /** The feedback byte to send (FEEDBACK_NONE until minFrames frames were seen). */
  feedback(): number {
    return this.code;
  }

  reset(): void {
    this.frames = 0;
    this.cleanRun = 0;
    this.code = this.rateCode = FEEDBACK_NONE;
    this.sums.fill(0);
  }
}

export interface ChooserOptions {
  /** Residual frame error rate to meet, 1e-6..0.5 (default 1e-3). */
  targetFer?: number;
  /** Step down only to a setting predicted below targetFer / hysteresis, 1..100 (default 4). */
  hysteresis?: number;
  /** Setting used without feedback (default nroots 4, depth 1). */
  nroots?: number;
  depth?: number;
  /** Strongest setting allowed (default 16 and 8). */
  maxNroots?: number;
  maxDepth?: number;
  /** Characters between a frame's end and its burst's parity (t3.5 + tick + header; default 12). */
  gapSymbols?: number;
}

/** Upper bounds of the frame-length classes decisions are cached for. */
const CLASS_LIMITS: readonly number[] = Object.freeze([8, 16, 32, 64, 96, 128, 176, 256]);
const DEPTHS: readonly number[] = Object.freeze([1, 2, 3, 4, 6, 8]);
const HEADER_SYMBOLS = 8;
const HEADER_T = 2;

/** Codewords a frame of `len` bytes is split into at (nroots, depth) (docs/fec.md §2). */
export function codewordsFor(len: number, nroots: number, depth: number): number {
  let m = Math.ceil(len / (255 - nroots));
  if (depth > m) m = depth;
  return m > len ? len : m;
}

/** Sending side: picks (nroots, depth) per frame from the peer's feedback. */
export class FecStrengthChooser {
  readonly targetFer: number;
  readonly hysteresis: number;
  readonly startNroots: number;
  readonly startDepth: number;
  /** The setting chosen by the last choose() (nroots 0, depth 0: no parity, the peer reported a clean link). */
  nroots: number;
  depth: number;
  /** The feedback byte the decisions are based on. */
  feedback = FEEDBACK_NONE;
  /** Setting changes made (for statistics). */
  changes = 0;
  private readonly gap: number;
  // Candidates: parallel arrays, and per length class their indices ordered by parity bytes.
  private readonly candNroots: Uint8Array;
  private readonly candDepth: Uint8Array;
  private readonly order: Uint8Array[];
  private readonly cost: Uint16Array[];
  private readonly current: Int16Array;
  private readonly dirty: Uint8Array;
  /** Per length class and candidate: codewords the frame is split into; per class the distinct counts. */
  private readonly candM: Uint8Array[];
  private readonly classMs: Uint8Array[];
  /** Predictions of the decision in progress, one per candidate. */
  private readonly pred: Float64Array;
  private readonly maxT: number;
  // Scratch of the forward recursion: [state G counts 0..t+1, state B counts 0..t+1].
  private dp = new Float64Array(2 * 10);
  private dq = new Float64Array(2 * 10);
  /** Numbers of the decision in progress: [0] run rate, [1] mean run, [2] a, [3] b, [4] result (no boxed numbers). */
  private readonly num = new Float64Array(5);

  constructor(options: ChooserOptions = {}) {
    const target = options.targetFer ?? 1e-3, h = options.hysteresis ?? 4;
    if (typeof target !== "number" || !(target >= 1e-6 && target <= 0.5)) throw new RangeError(`targetFer must be a number from 1e-6 to 0.5, got ${target}`);
    if (typeof h !== "number" || !(h >= 1 && h <= 100)) throw new RangeError(`hysteresis must be a number from 1 to 100, got ${h}`);
    const maxN = options.maxNroots ?? 16, maxD = options.maxDepth ?? 8;
    const n0 = options.nroots ?? 4, d0 = options.depth ?? 1;
    if (!Number.isInteger(maxN) || maxN < 2 || maxN > 16 || maxN % 2 !== 0) throw new RangeError(`maxNroots must be an even integer 2..16, got ${maxN}`);
    if (!Number.isInteger(maxD) || maxD < 1 || maxD > 8) throw new RangeError(`maxDepth must be an integer 1..8, got ${maxD}`);
    if (!Number.isInteger(n0) || n0 < 2 || n0 > 16 || n0 % 2 !== 0) throw new RangeError(`nroots must be an even integer 2..16, got ${n0}`);
    if (!Number.isInteger(d0) || d0 < 1 || d0 > 8) throw new RangeError(`depth must be an integer 1..8, got ${d0}`);
    this.targetFer = target;
    this.hysteresis = h;
    this.startNroots = this.nroots = n0;
    this.startDepth = this.depth = d0;
    this.gap = options.gapSymbols ?? 12;
    const ns: number[] = [], ds: number[] = [];
    for (let n = 2; n <= maxN; n += 2) for (const d of DEPTHS) if (d <= maxD) { ns.push(n); ds.push(d); }
    this.candNroots = Uint8Array.from(ns);
    this.candDepth = Uint8Array.from(ds);
    this.order = [];
    this.cost = [];
    for (const limit of CLASS_LIMITS) {
      const cost = new Uint16Array(ns.length);
      for (let i = 0; i < ns.length; i++) cost[i] = codewordsFor(limit, ns[i], ds[i]) * ns[i];
      const idx = ns.map((_, i) => i).sort((x, y) => cost[x] - cost[y] || ns[x] - ns[y] || ds[x] - ds[y]);
      this.order.push(Uint8Array.from(idx));
      this.cost.push(cost);
    }
    this.current = new Int16Array(CLASS_LIMITS.length).fill(-1);
    this.dirty = new Uint8Array(CLASS_LIMITS.length);
    this.candM = [];
    this.classMs = [];
    for (const limit of CLASS_LIMITS) {
      const ms = ns.map((n, i) => codewordsFor(limit, n, ds[i]));
      this.candM.push(Uint8Array.from(ms));
      this.classMs.push(Uint8Array.from([...new Set(ms)].sort((x, y) => x - y)));
    }
    this.pred = new Float64Array(ns.length);
    this.maxT = maxN / 2;
  }

  /** The peer's latest feedback byte (from the header of its version-2 bursts). */
  update(feedback: number): void {
    feedback &= 0xff;
    if ((feedback >>> 3) === 0 && feedback !== FEEDBACK_CLEAN) feedback = FEEDBACK_NONE;
    if (feedback === this.feedback) return;
    this.feedback = feedback;
    this.dirty.fill(1);
  }

  /** Chooses the setting for a frame of `frameLength` bytes: read it from `nroots` and `depth`. */
  choose(frameLength: number): void {
    if (this.feedback === FEEDBACK_NONE) {
      this.nroots = this.startNroots;
      this.depth = this.startDepth;
      return;
    }
    if (this.feedback === FEEDBACK_CLEAN) {
      this.nroots = 0;
      this.depth = 0;
      return;
    }
    let c = 0;
    while (c < CLASS_LIMITS.length - 1 && frameLength > CLASS_LIMITS[c]) c++;
    if (this.dirty[c] !== 0 || this.current[c] < 0) {
      this.dirty[c] = 0;
      this.decide(c);
    }
    const k = this.current[c];
    this.nroots = this.candNroots[k];
    this.depth = this.candDepth[k];
  }

  private decide(c: number): void {
    // The link the feedback describes (feedbackRunRate / feedbackMeanRun written out: no numbers passed or returned).
    const num = this.num, q = (this.feedback >>> 3) & 31;
    num[0] = Math.pow(2, -q / 2);
    num[1] = FEEDBACK_RUN_LENGTHS[this.feedback & 7];
    num[3] = 1 / num[1];
    num[2] = num[0] > 0.9 * num[3] ? (0.9 * num[3] * num[3]) / (num[3] - 0.9 * num[3]) : (num[0] * num[3]) / (num[3] - num[0]);
    const order = this.order[c], cost = this.cost[c];
    let cur = this.current[c];
    if (cur < 0) cur = this.startIndex();
    this.predictClass(c);
    let pick = -1;
    if (this.pred[cur] <= this.targetFer) {
      const down = this.cheapest(order, cost, true);
      pick = down >= 0 && cost[down] < cost[cur] ? down : cur;
    } else {
      pick = this.cheapest(order, cost, false);
      if (pick < 0) pick = this.strongest(order);
    }
    if (pick !== this.current[c] && this.current[c] >= 0) this.changes++;
    this.current[c] = pick;
  }

  private startIndex(): number {
    for (let i = 0; i < this.candNroots.length; i++) if (this.candNroots[i] === this.startNroots && this.candDepth[i] === this.startDepth) return i;
    return 0;
  }

  /**
   * Candidate with the fewest parity bytes predicted at or below the target (`down`: target / hysteresis) (ties: the
   * lowest prediction); −1 if none.
   */
  private cheapest(order: Uint8Array, cost: Uint16Array, down: boolean): number {
    let best = -1, bestCost = 0;
    const pred = this.pred;
    const limit = down ? this.targetFer / this.hysteresis : this.targetFer;
    for (let i = 0; i < order.length; i++) {
      const k = order[i];
      if (best >= 0 && cost[k] > bestCost) break;
      if (pred[k] <= limit && (best < 0 || pred[k] < pred[best])) { best = k; bestCost = cost[k]; }
    }
    return best;
  }

  private strongest(order: Uint8Array): number {
    let best = order[order.length - 1];
    const pred = this.pred;
    for (let i = 0; i < order.length; i++) if (pred[order[i]] < pred[best]) best = order[i];
    return best;
  }

  /**
   * Into pred[k]: the codeword-part prediction (as predictCodewordFailure) of every candidate k for length class c, on
   * the link set in num[2], num[3]. One sweep per codeword count m: the frame's characters of codeword 0 (m apart),
   * then, after the jump over the rest of the frame, the silence and the header, up to maxNroots parity characters;
   * candidate (nroots, ·) with this m reads its failure off after nroots of them. Counts are capped at maxT + 1, above
   * every candidate's t, so each reading is exact.
   */
  private predictClass(c: number): void {
    const num = this.num, pred = this.pred, candM = this.candM[c], ms = this.classMs[c], ns = this.candNroots;
    const len = CLASS_LIMITS[c];
    if (num[0] <= 0) { pred.fill(0); return; }
    const a = num[2], b = num[3];
    const s = a + b, piB = a / s, piG = b / s, rho = 1 - s;
    const w = this.maxT + 2, maxN = 2 * this.maxT;
    for (let mi = 0; mi < ms.length; mi++) {
      const m = ms[mi];
      const n0 = Math.ceil(len / m);
      const rs = Math.pow(rho, m), rj = Math.pow(rho, len - (n0 - 1) * m + this.gap);
      let dp = this.dp, dq = this.dq;
      for (let i = 0; i < 2 * w; i++) dp[i] = 0;
      dp[0] = piG;
      dp[w + 1] = piB;
      for (let i = 1; i < n0 + maxN; i++) {
        const r = i === n0 ? rj : rs;
        const gb = piB * (1 - r), bb = piB + piG * r;
        for (let k = 0; k < 2 * w; k++) dq[k] = 0;
        for (let cnt = 0; cnt < w; cnt++) {
          const g = dp[cnt], x = dp[w + cnt];
          if (g === 0 && x === 0) continue;
          const toB = g * gb + x * bb;
          dq[cnt] += g + x - toB;
          dq[w + (cnt + 1 < w ? cnt + 1 : w - 1)] += toB;
        }
        const tmp = dp; dp = dq; dq = tmp;
        const p = i + 1 - n0; // parity characters seen
        if (p < 2 || (p & 1) !== 0) continue;
        let f = 0;
        for (let cnt = p / 2 + 1; cnt < w; cnt++) f += dp[cnt] + dp[w + cnt];
        const frame = 1 - Math.pow(1 - f, m);
        for (let k = 0; k < ns.length; k++) if (candM[k] === m && ns[k] === p) pred[k] = frame;
      }
      this.dp = dp;
      this.dq = dq;
    }
  }

  /** Sets the link the next evaluations are for: chain rates a, b from the run rate and mean run length (as in decide). */
  private setLink(runRate: number, meanRun: number): void {
    const num = this.num;
    const b = 1 / (meanRun < 1 ? 1 : meanRun);
    let beta = runRate;
    if (beta > 0.9 * b) beta = 0.9 * b;
    num[0] = runRate;
    num[1] = meanRun;
    num[2] = (beta * b) / (b - beta);
    num[3] = b;
  }

  /**
   * Predicted residual failure probability of a `len`-byte frame coded at (nroots, depth) on a link with `runRate` runs
   * per character of mean length `meanRun` (see the theory above; pessimistic where it approximates).
   */
  predictFailure(len: number, nroots: number, depth: number, runRate: number, meanRun: number): number {
    return this.predict(len, nroots, depth, runRate, meanRun, true);
  }

  /**
   * The part of predictFailure that the setting controls: some codeword beyond repair. The header's own failures (its
   * code is fixed) are left out of the choice, so a noise level at which the header alone misses the target does not
   * drive the setting to the strongest for nothing.
   */
  predictCodewordFailure(len: number, nroots: number, depth: number, runRate: number, meanRun: number): number {
    return this.predict(len, nroots, depth, runRate, meanRun, false);
  }

  private predict(len: number, nroots: number, depth: number, runRate: number, meanRun: number, header: boolean): number {
    if (runRate <= 0) return 0;
    this.setLink(runRate, meanRun);
    this.evaluate(len, nroots, depth, header);
    return this.num[4];
  }

  /** Prediction for the link set by setLink, into num[4]. */
  private evaluate(len: number, nroots: number, depth: number, header: boolean): void {
    const num = this.num;
    if (num[0] <= 0) { num[4] = 0; return; }
    const m = codewordsFor(len, nroots, depth);
    const n0 = Math.ceil(len / m);
    // Codeword 0: data characters m apart, then (after the rest of the frame, the gap and the header) its parity m apart.
    this.codewordFailure(nroots / 2, n0, m, len - (n0 - 1) * m + this.gap, nroots);
    const ok = Math.pow(1 - num[4], m);
    if (!header) { num[4] = 1 - ok; return; }
    this.codewordFailure(HEADER_T, HEADER_SYMBOLS, 1, 0, 0);
    const fHeader = num[4];
    const a = num[2], b = num[3];
    const damaged = 1 - (b / (a + b)) * Math.pow(1 - a, len - 1);
    const f = 1 - ok * (1 - fHeader * damaged);
    num[4] = f < 0 ? 0 : f > 1 ? 1 : f;
  }

  /** Into num[4]: probability that more than t of n + p characters are bad: n at stride `stride`, then p at `stride` after `jump`. */
  private codewordFailure(t: number, n: number, stride: number, jump: number, p: number): void {
    const num = this.num;
    const a = num[2], b = num[3];
    const s = a + b, piB = a / s, piG = b / s, rho = 1 - s;
    const rs = Math.pow(rho, stride), rj = Math.pow(rho, jump);
    const w = t + 2; // counts 0..t+1 (t+1 = failed)
    let dp = this.dp, dq = this.dq;
    for (let i = 0; i < 2 * w; i++) dp[i] = 0;
    // First character: stationary state; a bad one counts.
    dp[0] = piG;
    dp[w + 1] = piB;
    const total = n + p;
    for (let i = 1; i < total; i++) {
      const r = i === n ? rj : rs;
      const gb = piB * (1 - r), bb = piB + piG * r;
      for (let k = 0; k < 2 * w; k++) dq[k] = 0;
      for (let c = 0; c < w; c++) {
        const g = dp[c], x = dp[w + c];
        if (g === 0 && x === 0) continue;
        const toB = g * gb + x * bb;
        dq[c] += g + x - toB;
        const c1 = c + 1 < w ? c + 1 : w - 1;
        dq[w + c1] += toB;
      }
      const tmp = dp; dp = dq; dq = tmp;
    }
    num[4] = dp[w - 1] + dp[2 * w - 1];
  }
}
