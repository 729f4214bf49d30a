/*
 * Redrawing a live terminal view in place (`rc485 sim` on a TTY). Clearing the screen for every frame (ESC[2J) makes
 * several terminals (tmux, VTE) push the old screen into the scrollback, so a view redrawn twice a second fills it in
 * minutes. Instead, the first frame clears the screen once (what was on it stays in the scrollback), and every frame
 * moves the cursor home (ESC[H), rewrites each line followed by "erase to end of line" (ESC[K), and ends with "erase
 * below" (ESC[J) (ECMA-48 §8.3.21 CUP, §8.3.41 EL, §8.3.39 ED). Lines are cut to the terminal's width and the frame to
 * one row less than its height, so nothing wraps and the screen never scrolls.
 */

/** The escape sequence that draws `text` over the previous frame; `first` clears the screen once. */
export function redrawInPlace(text: string, first: boolean, columns = 0, rows = 0): string {
  let lines = text.split("\n");
  if (rows > 1 && lines.length > rows - 1) lines = lines.slice(0, rows - 1);
  if (columns > 0) lines = lines.map((l) => (l.length > columns ? l.slice(0, columns) : l));
  return `${first ? "\x1b[2J" : ""}\x1b[H${lines.map((l) => `${l}\x1b[K`).join("\r\n")}\r\n\x1b[J`;
}
