/*
 * Per-point MQTT availability (docs/mqtt.md, "Availability per point"): turns each point's quality (modules/concentrator/point-quality.ts)
 * into "online" / "offline" on the point's own retained topic, `<prefix>/<site>/<meter>/<point>/availability`, so Home
 * Assistant shows a stale or invalid point as unavailable instead of its last number.
 *
 * Theory of operation. `published` holds one byte per point (the same flat order as PointQuality.quality: meters in order,
 * points in order): what was last published, UNKNOWN before the first message of a connection. sync(quality, fn) compares
 * each point's wanted state (online only when FRESH; STALE, INVALID and NONE — never read yet — are offline) with what
 * was published, calls fn(point) for each difference and records the new state; so traffic happens only on a change, and
 * a steady site publishes nothing. reset() forgets everything (a new connection: a broker may have lost retained
 * messages), so the next sync publishes every point once. Fixed memory: one Uint8Array sized at construction; sync and
 * reset allocate nothing (the caller's fn is built once). The topic of a point is built only when it is published.
 */
import { QUALITY_FRESH } from "../concentrator/point-quality";

/** Each point's quality byte, meters in order (points of meter m at first[m] .. first[m + 1]): a PointQuality. */
export interface QualityBytes {
  readonly quality: Uint8Array;
  readonly first: Int32Array;
}

export const AVAILABILITY_UNKNOWN = 0;
export const AVAILABILITY_OFFLINE = 1;
export const AVAILABILITY_ONLINE = 2;

/** The per-point availability topic: `<meterTopicBase>/<point>/availability`, e.g. rc485/home/heatpump/power/availability. */
export function pointAvailabilityTopic(prefix: string, site: string, meter: string, point: string): string {
  return `${prefix}/${site}/${meter}/${point}/availability`;
}

export class PointAvailability {
  /** Last published state per point: AVAILABILITY_UNKNOWN, _OFFLINE or _ONLINE. */
  readonly published: Uint8Array;

  constructor(points: number) {
    if (!Number.isInteger(points) || points < 0) throw new RangeError(`point availability: points must be an integer >= 0, got ${points}`);
    this.published = new Uint8Array(points);
  }

  /** Forgets what was published: the next sync() publishes every point. */
  reset(): void {
    this.published.fill(AVAILABILITY_UNKNOWN);
  }

  /**
   * Calls `fn(point, online)` for each point (flat index) whose availability differs from what was last published, and
   * records it as published. Returns how many changed.
   */
  sync(quality: Uint8Array, fn: (point: number, online: boolean) => void): number {
    const p = this.published;
    const n = p.length < quality.length ? p.length : quality.length;
    let changed = 0;
    for (let k = 0; k < n; k++) {
      const want = quality[k] === QUALITY_FRESH ? AVAILABILITY_ONLINE : AVAILABILITY_OFFLINE;
      if (p[k] === want) continue;
      p[k] = want;
      changed++;
      fn(k, want === AVAILABILITY_ONLINE);
    }
    return changed;
  }
}
