/** Sign-in: through the configured OIDC issuer (authorization code + PKCE), or by pasting a token in dev configs. */
import { useState } from 'preact/hooks';
import { signInNotice, startOidc, useToken } from '../auth.ts';
import type { SignInConfig } from '../auth.ts';
import { ErrorNote } from '../components/Notice.tsx';

export function SignInPage({ config, failure }: { config: SignInConfig | null; failure: string | null }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <main id="main" class="signin">
      <h1>Sign in to the Airlock console</h1>
      <ErrorNote message={error ?? failure ?? signInNotice()} />
      {config === null ? (
        <p aria-live="polite">Loading…</p>
      ) : config.mode === 'oidc' ? (
        <>
          <p>
            You sign in at <strong>{config.issuer}</strong>. Your tenant and roles come from the token it issues, verified by the gateway.
          </p>
          <button type="button" class="primary" onClick={() => startOidc(config).catch((caught: unknown) => setError(caught instanceof Error ? caught.message : String(caught)))}>
            Sign in with {new URL(config.issuer ?? 'http://issuer').host}
          </button>
        </>
      ) : (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (token.trim() === '') setError('paste a token first');
            else useToken(token);
          }}
        >
          <p>This gateway has no OIDC sign-in configured (a development config): paste a bearer token, e.g. from <code>airlock token mint</code>.</p>
          <label for="token">Bearer token</label>
          <textarea id="token" rows={4} value={token} autoComplete="off" spellcheck={false} onInput={(e) => setToken((e.target as HTMLTextAreaElement).value)} />
          <button type="submit" class="primary">
            Use this token
          </button>
        </form>
      )}
    </main>
  );
}
