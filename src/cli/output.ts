/**
 * Terminal output for people: aligned tables, outcome colouring when stdout is a TTY,
 * and `--json` for machines.
 */

const useColor = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
const paint = (code: number) => (text: string) => (useColor ? `\u001b[${code}m${text}\u001b[0m` : text);
export const green = paint(32);
export const red = paint(31);
export const yellow = paint(33);
export const dim = paint(2);
export const bold = paint(1);

export function outcomeLabel(outcome: string): string {
  if (outcome === 'allow' || outcome === 'executed') return green(outcome.toUpperCase());
  if (outcome === 'approval_required') return yellow('APPROVAL REQUIRED');
  return red(outcome.toUpperCase());
}

const visible = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');

/** The colour codes this module writes itself (paint); any other escape in output is data. */
const OWN_SGR = /(\u001b\[(?:0|1|2|31|32|33)m)/;
/** C0 and C1 controls, DEL, and the bidirectional controls that reorder what a terminal shows. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from the audit log, a request or an upstream made safe to print to an operator's
 * terminal: its control characters are shown, never obeyed (an escape sequence in a tool name
 * could clear the screen, rewrite earlier lines, retitle the window or set the clipboard; a
 * carriage return or bidi control could make a row read as something else). Line feeds are
 * kept only with `newlines` (multi-line reports); the colour codes of this module stay.
 */
export function printable(text: string, options: { newlines?: boolean } = {}): string {
  return text
    .split(OWN_SGR)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part.replace(CONTROL, (c) => {
            const code = c.charCodeAt(0);
            if (c === '\n' && options.newlines === true) return c;
            if (c === '\t') return ' ';
            if (code < 0x20) return String.fromCharCode(0x2400 + code);
            if (code === 0x7f) return '\u2421';
            return `\\u{${code.toString(16)}}`;
          }),
    )
    .join('');
}

/** A table of data cells (each made printable on one line) under bold headers. */
export function table(headers: string[], rawRows: string[][]): string {
  const rows = rawRows.map((row) => row.map((cell) => printable(cell)));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - visible(cell).length))).join('  ').trimEnd();
  return [bold(line(headers)), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
