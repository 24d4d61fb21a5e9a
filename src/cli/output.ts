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

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - visible(cell).length))).join('  ').trimEnd();
  return [bold(line(headers)), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
