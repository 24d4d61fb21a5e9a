/** A source snippet with every occurrence of the argument's value marked. */
export function Snippet({ text, value }: { text: string; value: string | null }) {
  if (value === null || value === '' || !text.includes(value)) return <q class="snippet">{text}</q>;
  const parts = text.split(value);
  return (
    <q class="snippet">
      {parts.map((part, index) => (
        <>
          {part}
          {index < parts.length - 1 ? <mark>{value}</mark> : null}
        </>
      ))}
    </q>
  );
}
