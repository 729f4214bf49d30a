// Hex helpers for tests and vectors (portable: no Buffer).
export function fromHex(hex: string): Uint8Array {
  const s = hex.replace(/[\s:]/g, "");
  if (s.length % 2 !== 0 || /[^0-9a-fA-F]/.test(s)) throw new RangeError(`bad hex: ${hex}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array, offset = 0, length = bytes.length - offset): string {
  let s = "";
  for (let i = offset; i < offset + length; i++) s += (i > offset ? " " : "") + (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16).toUpperCase();
  return s;
}
