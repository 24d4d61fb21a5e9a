/**
 * The console's only way to the gateway: the HTTP API with the signed-in bearer token. Errors
 * come back as ApiError with the API's stable code and message (shown to the user as they are:
 * a refusal explains itself).
 */
import { currentToken, signOut } from './auth.ts';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const token = currentToken();
  if (token === null) throw new ApiError(401, 'ERR_SIGNED_OUT', 'you are signed out');
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, credentials: 'omit', cache: 'no-store', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
    if (response.status === 401) signOut('your sign-in is no longer accepted; sign in again');
    throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? `the gateway answered ${response.status}`);
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => call<T>('POST', path, body),
};

/** Renders an error the way every page shows one: the message and its code. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}
