/*
 * Reading a configuration file (site, profile, CA certificate) with a size bound. A path may name anything: a FIFO that
 * never ends, /dev/zero, a directory, a multi-gigabyte log. readFileSync would read it all (or forever); this reads in
 * chunks and stops one byte past `maxBytes`, so an endless or huge file is one clear error, never a hang or an
 * out-of-memory crash; it opens without blocking, so a FIFO with no writer reads as empty instead of waiting forever. Errors are FileReadError with a one-line message naming the file.
 */
import { closeSync, constants, openSync, readSync } from "node:fs";

export class FileReadError extends Error {}

/** Site and profile files: far above any real one (the demo site is 2 KB, the largest profile 20 KB). */
export const CONFIG_FILE_LIMIT = 4 * 1024 * 1024;

/** The bytes of `file`, at most `maxBytes`; FileReadError (no such file, a folder, unreadable, too large). */
export function readBounded(file: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    // Non-blocking: opening a FIFO nobody writes to would otherwise wait forever (regular files ignore the flag).
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileReadError(`${file}: ${code === "ENOENT" ? "no such file" : `cannot read (${code ?? (e as Error).message})`}`);
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(65536, maxBytes + 1 - total));
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new FileReadError(`${file}: ${code === "EISDIR" ? "is a folder, not a file" : `cannot read (${code ?? (e as Error).message})`}`);
      }
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > maxBytes) throw new FileReadError(`${file}: larger than ${maxBytes} bytes (not a configuration file, or an endless one such as a device)`);
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** Deepest nesting of arrays and objects in a parsed JSON value, counted without recursion; stops counting past `limit`. */
export function jsonDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (d > deepest) deepest = d;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) stack.push([child, d + 1]);
  }
  return deepest;
}

/** Nesting deeper than this in a configuration file is refused (the deepest real one, a site, nests 5 levels). */
export const CONFIG_MAX_DEPTH = 32;

/** Reads and parses a JSON configuration file: FileReadError for an unreadable, huge, invalid or absurdly nested one. */
export function readJsonFile(file: string, maxBytes = CONFIG_FILE_LIMIT): unknown {
  const text = readBounded(file, maxBytes).toString("utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FileReadError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (jsonDepth(json, CONFIG_MAX_DEPTH) > CONFIG_MAX_DEPTH) throw new FileReadError(`${file}: nested deeper than ${CONFIG_MAX_DEPTH} levels (not a configuration file)`);
  return json;
}
