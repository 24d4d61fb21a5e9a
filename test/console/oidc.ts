/**
 * A real OpenID Connect provider (the `oidc-provider` package) on loopback, for the console's
 * sign-in tests: authorization code with PKCE for one public client (the console), access
 * tokens as RS256 JWTs for the gateway's audience (RFC 8707 resource indicators) carrying the
 * account's tenant and roles, and its development login form (any password) for the browser.
 * The HTTP server listens first (so the issuer URL is known); the provider is attached once
 * the console's redirect URI is known.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

export interface OidcAccount {
  tenant: string;
  roles: string[];
}

export interface OidcProvider {
  issuer: string;
  /** Attaches the provider: the console at `redirectUri` as a public client named `clientId`, access tokens for `audience`. */
  configure(options: { clientId: string; redirectUri: string; audience: string }): Promise<void>;
  close(): Promise<void>;
}

export async function startOidcProvider(accounts: Record<string, OidcAccount>): Promise<OidcProvider> {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  const server = createServer((req, res) => {
    if (handler === null) {
      res.writeHead(503).end('not configured yet');
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    issuer,
    async configure({ clientId, redirectUri, audience }) {
      const { privateKey } = await generateKeyPair('RS256', { extractable: true });
      const jwk = { ...(await exportJWK(privateKey)), kid: 'console-test', alg: 'RS256', use: 'sig' };
      const provider = new Provider(issuer, {
        clients: [{ client_id: clientId, token_endpoint_auth_method: 'none', redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'] }],
        jwks: { keys: [jwk] },
        cookies: { keys: ['console-test-cookie-signing-key-not-a-secret'] },
        pkce: { required: () => true },
        clientBasedCORS: () => true,
        findAccount: async (_ctx, id) => (accounts[id] === undefined ? undefined : { accountId: id, claims: async () => ({ sub: id }) }),
        extraTokenClaims: async (_ctx, token) => {
          const account = accounts[(token as { accountId?: string }).accountId ?? ''];
          return account === undefined ? {} : { tenant: account.tenant, roles: account.roles };
        },
        features: {
          devInteractions: { enabled: true },
          resourceIndicators: {
            enabled: true,
            defaultResource: () => audience,
            useGrantedResource: () => true,
            getResourceServerInfo: () => ({ scope: 'openid', audience, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'RS256' } } }),
          },
        },
      });
      // Loopback http in a test: the provider's own check wants a secure connection for its cookies.
      provider.proxy = true;
      handler = provider.callback();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
