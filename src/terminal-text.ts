/**
 * Text for a terminal. A job id, a job name or an error message comes from
 * whoever added the job or wrote the handler, and may hold escape sequences
 * that clear the screen (`ESC [2J`), set the window title or write the
 * clipboard (OSC 52, `ESC ] 52;c;... BEL`). Printed raw, the terminal obeys
 * them; escaped, they are shown as text.
 */

// C0 controls but \t and \n, DEL, the C1 range (U+0080-U+009F: 8-bit CSI, OSC, ST...), and
// the bidirectional marks and overrides that reorder what a terminal shows.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// The same with \n and \t, for text that must stay on one line (a table cell).
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_AND_LINES = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escapeOne = (char: string): string =>
  `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Replace every control character but `\n` and `\t` (with `{ lines: false }`,
 * those too) by its `\u001b` form: readable, and valid inside a JSON string,
 * so JSON output stays JSON. Idempotent: the result holds no control character.
 */
export function escapeControl(text: string, { lines = true }: { lines?: boolean } = {}): string {
  return text.replace(lines ? CONTROL : CONTROL_AND_LINES, escapeOne);
}
