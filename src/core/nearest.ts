/**
 * Nearest-name suggestions for typos ("did you mean ...?"): Levenshtein edit distance over a
 * list of known names, case-insensitive, with a bound so an unrelated name is never offered.
 */

/** Levenshtein distance (insertions, deletions, substitutions each cost 1). */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

/**
 * The known name nearest to `name` (ties: the first in `known`), when it is within a third of
 * the name's length (at least 1, at most `maxDistance` when given); undefined otherwise.
 */
export function nearestName(name: string, known: Iterable<string>, maxDistance?: number): string | undefined {
  const limit = Math.min(maxDistance ?? Infinity, Math.max(1, Math.floor(name.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
