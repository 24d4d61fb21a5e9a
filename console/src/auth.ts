/**
 * Sign-in. With an OIDC issuer configured (`/console/sign-in.json`), the authorization code
 * flow with PKCE (S256) and a state check, as a public client asking for an access token for the
 * gateway's audience; otherwise a pasted token (HS256 dev configs). The token lives in this tab's
 * sessionStorage only (no cookie); who the user is, their tenant and roles, is what the gateway
 * answers for the token (GET /v1/me), never read from the token here.
 */
export interface SignInConfig {
  mode: 'oidc' | 'token';
  issuer?: string;
  client_id?: string;
  scope?: string;
  audience?: string;
}

const TOKEN_KEY = 'airlock.console.token';
const FLOW_KEY = 'airlock.console.flow';
const NOTICE_KEY = 'airlock.console.notice';

type Listener = () => void;
const listeners = new Set<Listener>();

export function onAuthChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed(): void {
  for (const listener of listeners) listener();
}

export function currentToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function useToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
  sessionStorage.removeItem(NOTICE_KEY);
  changed();
}

export function signOut(notice?: string): void {
  sessionStorage.removeItem(TOKEN_KEY);
  if (notice !== undefined) sessionStorage.setItem(NOTICE_KEY, notice);
  changed();
}

export function signInNotice(): string | null {
  return sessionStorage.getItem(NOTICE_KEY);
}

export async function loadSignInConfig(): Promise<SignInConfig> {
  const response = await fetch('/console/sign-in.json', { credentials: 'omit', cache: 'no-store' });
  if (!response.ok) throw new Error(`cannot read the sign-in settings (${response.status})`);
  return (await response.json()) as SignInConfig;
}

function base64url(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function challengeOf(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
}

async function discover(issuer: string): Promise<Discovery> {
  const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, { credentials: 'omit' });
  if (!response.ok) throw new Error(`the identity provider did not answer its discovery document (${response.status})`);
  const document = (await response.json()) as Partial<Discovery> & { issuer?: string };
  if (document.issuer !== issuer || typeof document.authorization_endpoint !== 'string' || typeof document.token_endpoint !== 'string') {
    throw new Error('the identity provider discovery document does not match the configured issuer');
  }
  return { authorization_endpoint: document.authorization_endpoint, token_endpoint: document.token_endpoint };
}

/** RFC 8707: a resource indicator is an absolute URI; an audience that is not one is left to the provider's own mapping. */
function resourceOf(audience: string | undefined): Record<string, string> {
  if (audience === undefined) return {};
  try {
    new URL(audience);
    return { resource: audience };
  } catch {
    return {};
  }
}

export function redirectUri(): string {
  return `${location.origin}/console/`;
}

/** Starts the authorization code flow: remembers verifier and state for this tab, then leaves for the issuer. */
export async function startOidc(config: SignInConfig): Promise<void> {
  if (config.issuer === undefined || config.client_id === undefined) throw new Error('the console has no OIDC client configured');
  const endpoints = await discover(config.issuer);
  const verifier = randomString();
  const state = randomString();
  sessionStorage.setItem(FLOW_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(endpoints.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.client_id,
    redirect_uri: redirectUri(),
    scope: config.scope ?? 'openid',
    state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
    ...resourceOf(config.audience),
  }).toString();
  location.assign(url.toString());
}

/**
 * Completes the flow when the issuer sent the browser back with `code` and `state`: the state
 * must be the one this tab sent, the code is exchanged with the PKCE verifier. Returns false when
 * the address carries no answer from the issuer.
 */
export async function completeOidc(config: SignInConfig): Promise<boolean> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (code === null && error === null) return false;
  history.replaceState(null, '', `${location.pathname}${location.hash}`);
  const flow = JSON.parse(sessionStorage.getItem(FLOW_KEY) ?? 'null') as { verifier: string; state: string } | null;
  sessionStorage.removeItem(FLOW_KEY);
  if (error !== null) throw new Error(`the identity provider refused the sign-in: ${error}`);
  if (flow === null || params.get('state') !== flow.state) throw new Error('the sign-in answer does not belong to this tab (state mismatch); sign in again');
  if (config.issuer === undefined || config.client_id === undefined) throw new Error('the console has no OIDC client configured');
  const endpoints = await discover(config.issuer);
  const response = await fetch(endpoints.token_endpoint, {
    method: 'POST',
    credentials: 'omit',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: redirectUri(),
      client_id: config.client_id,
      code_verifier: flow.verifier,
      ...resourceOf(config.audience),
    }),
  });
  const answer = (await response.json().catch(() => ({}))) as { access_token?: string; error?: string; error_description?: string };
  if (!response.ok || typeof answer.access_token !== 'string') {
    throw new Error(`the identity provider did not issue a token: ${answer.error_description ?? answer.error ?? response.status}`);
  }
  useToken(answer.access_token);
  return true;
}
