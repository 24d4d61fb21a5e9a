/**
 * The console shell: sign-in (OIDC or pasted token), then the pages the signed-in user's roles
 * reach, with who they are as the gateway verified it (GET /v1/me). Nothing on a page comes from
 * anywhere but the API's answers to this user.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, describeError } from './api.ts';
import { completeOidc, currentToken, loadSignInConfig, onAuthChange, signOut } from './auth.ts';
import type { SignInConfig } from './auth.ts';
import { ErrorNote } from './components/Notice.tsx';
import { ApprovalsPage } from './pages/Approvals.tsx';
import { LineagePage } from './pages/Lineage.tsx';
import { OperationsPage } from './pages/Operations.tsx';
import { SignInPage } from './pages/SignIn.tsx';
import { TrendsPage } from './pages/Trends.tsx';
import { useRoute } from './router.ts';
import type { Me } from './types.ts';
import './styles.css';

const PAGES = [
  { page: 'approvals', label: 'Approvals' },
  { page: 'lineage', label: 'Lineage' },
  { page: 'operations', label: 'Operations' },
  { page: 'trends', label: 'Trends' },
] as const;

function Shell({ me }: { me: Me }) {
  const route = useRoute();
  useEffect(() => {
    const label = PAGES.find((p) => p.page === route.page)?.label ?? 'Console';
    document.title = `${label} · Airlock console`;
    document.getElementById('main')?.focus();
  }, [route.page]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Airlock</span>
        <nav aria-label="Console pages">
          <ul>
            {PAGES.map((p) => (
              <li key={p.page}>
                <a href={`#/${p.page}`} aria-current={route.page === p.page ? 'page' : undefined}>
                  {p.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="me" aria-label="Signed in as">
          <span>
            <strong data-testid="me-user">{me.user}</strong> · tenant <strong data-testid="me-tenant">{me.tenant}</strong>
          </span>
          <span class="roles">{me.roles.join(', ') || 'no roles'}</span>
          <button type="button" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'approvals' ? <ApprovalsPage me={me} /> : null}
        {route.page === 'lineage' ? <LineagePage id={route.id} /> : null}
        {route.page === 'operations' ? <OperationsPage /> : null}
        {route.page === 'trends' ? <TrendsPage /> : null}
      </main>
    </>
  );
}

function App() {
  const [config, setConfig] = useState<SignInConfig | null>(null);
  const [token, setToken] = useState(currentToken());
  const [me, setMe] = useState<Me | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => onAuthChange(() => setToken(currentToken())), []);
  useEffect(() => {
    loadSignInConfig()
      .then(async (loaded) => {
        setConfig(loaded);
        if (loaded.mode === 'oidc') await completeOidc(loaded);
      })
      .catch((caught: unknown) => setFailure(caught instanceof Error ? caught.message : String(caught)));
  }, []);
  useEffect(() => {
    setMe(null);
    if (token === null) return;
    api.get<Me>('/v1/me').then(setMe, (caught: unknown) => setFailure(describeError(caught)));
  }, [token]);

  if (token === null) return <SignInPage config={config} failure={failure} />;
  if (me === null) {
    return (
      <main id="main">
        <ErrorNote message={failure} />
        {failure === null ? <p aria-live="polite">Signing in…</p> : null}
      </main>
    );
  }
  return <Shell me={me} />;
}

render(<App />, document.getElementById('app') as HTMLElement);
