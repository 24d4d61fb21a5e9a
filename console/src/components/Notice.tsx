/** Errors and confirmations, announced to screen readers. */
export function ErrorNote({ message }: { message: string | null }) {
  if (message === null) return null;
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}

export function DoneNote({ message }: { message: string | null }) {
  if (message === null) return null;
  return (
    <p class="done" role="status">
      {message}
    </p>
  );
}
