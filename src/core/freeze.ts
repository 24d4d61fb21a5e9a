/**
 * Deep freezing of plain data (registered tool definitions, session records handed out
 * from a cache): a reader cannot change what the next reader gets.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
