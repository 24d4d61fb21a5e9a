/**
 * A line diff of two JSON values (pretty-printed): what was approved last against what the
 * upstream serves now. Removed lines are marked "-", added "+", in text and not only in colour.
 */
import { diffLines } from '../diff.ts';
import { pretty } from '../format.ts';

export function Diff({ before, after, label }: { before: unknown; after: unknown; label: string }) {
  const lines = diffLines(before === null || before === undefined ? [] : pretty(before).split('\n'), pretty(after).split('\n'));
  const changes = lines.filter((l) => l.kind !== 'same').length;
  return (
    <figure class="diff">
      <figcaption>
        {label}: {before === null || before === undefined ? 'no definition was approved before; every line is new' : `${changes} changed line${changes === 1 ? '' : 's'}`}
      </figcaption>
      <pre tabIndex={0} aria-label={label}>
        {lines.map((line, index) => (
          <span key={index} class={`line ${line.kind}`}>
            {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}
            {line.text}
            {'\n'}
          </span>
        ))}
      </pre>
    </figure>
  );
}
