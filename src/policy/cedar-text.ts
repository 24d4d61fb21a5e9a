/**
 * Cedar source text helpers: split a file into its policy statements (keeping where each
 * one starts) and turn Cedar's UTF-8 byte offsets into line numbers.
 *
 * The splitter only needs to know Cedar's lexical rules for strings and `//` comments: a
 * policy ends at the first `;` outside both. A wrong split can never go unnoticed, since
 * every chunk is parsed again on its own and the chunk count is checked against Cedar's.
 */

export interface PolicyChunk {
  /** Text of one policy statement, from its first token through its `;`. */
  text: string;
  /** UTF-8 byte offset of the chunk in the file (Cedar reports byte offsets). */
  byteOffset: number;
}

/** Splits a file into policy statements; trailing text without `;` becomes a last chunk. */
export function splitPolicies(text: string): PolicyChunk[] {
  const chunks: PolicyChunk[] = [];
  let start = -1;
  let i = 0;
  const push = (end: number): void => {
    chunks.push({ text: text.slice(start, end), byteOffset: Buffer.byteLength(text.slice(0, start), 'utf8') });
    start = -1;
  };
  while (i < text.length) {
    const ch = text[i];
    if (ch === '/' && text[i + 1] === '/') {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl + 1;
      continue;
    }
    if (ch === '"') {
      if (start === -1) start = i;
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (ch === ';') {
      if (start === -1) start = i;
      push(i + 1);
      i++;
      continue;
    }
    if (start === -1 && ch !== undefined && !/\s/.test(ch)) start = i;
    i++;
  }
  if (start !== -1) push(text.length);
  return chunks;
}

/** Line (1-based) holding the given UTF-8 byte offset of `text`. */
export function lineOfByteOffset(text: string, byteOffset: number): number {
  const bytes = Buffer.from(text, 'utf8');
  const end = Math.max(0, Math.min(byteOffset, bytes.length));
  let line = 1;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

function skipTrivia(text: string, i: number): number {
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '/' && text[i + 1] === '/') {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl + 1;
    } else if (/\s/.test(ch)) i++;
    else break;
  }
  return i;
}

/**
 * Offset (UTF-16 index) of the effect keyword (`permit` / `forbid`) of one policy
 * statement, after its annotations, or -1 when the text does not have that shape.
 */
export function effectOffset(text: string): number {
  let i = skipTrivia(text, 0);
  while (text[i] === '@') {
    const ident = /^@[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (ident === null) return -1;
    i = skipTrivia(text, i + ident[0].length);
    if (text[i] === '(') {
      i = skipTrivia(text, i + 1);
      if (text[i] !== '"') return -1;
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i = skipTrivia(text, i + 1);
      if (text[i] !== ')') return -1;
      i = skipTrivia(text, i + 1);
    }
  }
  const word = text.slice(i, i + 6);
  return (word === 'permit' || word === 'forbid') && !/[A-Za-z0-9_]/.test(text[i + 6] ?? '') ? i : -1;
}

/**
 * The same policy statement with its effect made `permit`. Text surgery on purpose: a
 * round trip through Cedar's JSON form would pass Long literals through JavaScript numbers.
 * Both keywords have six letters, so every offset in the text stays valid.
 */
export function withPermitEffect(text: string): string | null {
  const at = effectOffset(text);
  return at === -1 ? null : `${text.slice(0, at)}permit${text.slice(at + 6)}`;
}
