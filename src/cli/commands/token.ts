/** `airlock token mint`: dev tokens for configs with an HS256 issuer. */
import { AirlockError } from '../../core/errors.ts';
import type { AirlockConfig } from '../../config/types.ts';
import { resolveSecretRef } from '../../config/index.ts';
import { mintDevToken } from '../../identity/index.ts';
import { loadConfigOrExit } from '../config-loading.ts';

export interface MintClaims {
  sub: string;
  tenant: string;
  roles: string[];
  agent?: string;
  ttlSeconds: number;
  sessionId?: string;
}

export async function mintFor(config: AirlockConfig, claims: MintClaims, issuerName?: string): Promise<string> {
  const issuer = config.identity.issuers.find(
    (i) => (issuerName === undefined || i.issuer === issuerName) && i.algorithms.includes('HS256') && i.secret !== undefined,
  );
  if (issuer === undefined || issuer.secret === undefined) {
    throw new AirlockError('ERR_IDENTITY_MINT', 'no HS256 issuer in this config: dev tokens can only be minted for HS256 issuers', { status: 400 });
  }
  const key = await resolveSecretRef(issuer.secret, config.baseDir, { createIfMissing: issuer.createSecretIfMissing === true });
  return mintDevToken(issuer, config.identity.audience, key, claims);
}

export async function tokenMintCommand(options: {
  config: string;
  sub: string;
  tenant: string;
  roles?: string;
  agent?: string;
  ttl?: string;
  issuer?: string;
  session?: string;
}): Promise<void> {
  const config = await loadConfigOrExit(options.config);
  const ttl = options.ttl === undefined ? 3600 : Number(options.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) throw new AirlockError('ERR_CLI_USAGE', '--ttl must be a positive number of seconds', { status: 400 });
  const roles = (options.roles ?? '').split(',').map((r) => r.trim()).filter((r) => r !== '');
  const token = await mintFor(
    config,
    {
      sub: options.sub,
      tenant: options.tenant,
      roles,
      ttlSeconds: ttl,
      ...(options.agent === undefined ? {} : { agent: options.agent }),
      ...(options.session === undefined ? {} : { sessionId: options.session }),
    },
    options.issuer,
  );
  process.stdout.write(`${token}\n`);
}
