/*
 * Benchmark definitions. Each bench/*.bench.ts exports `benches` (operations measured on both engines: XS meter counts
 * per operation, Node ns per operation and bytes allocated per operation) and may export `reports` (Node-only tables such
 * as bus efficiency, printed after the main table). bench/run.ts discovers and runs them: `npm run bench`.
 */
export interface Bench {
  /** Table section, e.g. "crc16 (256-byte frame)". */
  readonly group: string;
  /** Implementation and operation, e.g. "rc485 slice-by-8". */
  readonly name: string;
  /** Work items per operation (e.g. bytes hashed) for the per-unit column; omit for per-operation figures only. */
  readonly units?: number;
  readonly unitName?: string;
  /** Builds the state and returns the operation. Allocation inside make() is not counted. */
  make(): () => unknown;
  /** Skip this bench on XS (e.g. a peer that needs Node APIs); the reason is printed in the table. */
  readonly nodeOnly?: string;
}

export interface Report {
  readonly title: string;
  /** Returns markdown (a table and any notes). May take a few seconds of CPU; must be deterministic for a seed. */
  run(): string | Promise<string>;
}
