/** `airlock token mint`: dev tokens for configs with an HS256 issuer. */
import { AirlockError } from '../../core/errors.ts';
import { mintToken } from '../../pipeline/index.ts';
import { loadConfigOrExit } from '../config-loading.ts';

function usage(message: string): AirlockError {
  return new AirlockError('ERR_CLI_USAGE', message, { status: 400 });
}

/**
 * The lifetime of a minted token: `--ttl` as plain decimal seconds (`1e6` or `0x10` are not
 * what an operator means), at most `identity.max_token_age_seconds` — the gateway refuses a
 * token whose lifetime exceeds it, so such a token is never handed out.
 */
export function mintTtl(option: string | undefined, maxTokenAgeSeconds: number): number {
  const ttl = option === undefined ? Math.min(3600, maxTokenAgeSeconds) : /^\d{1,9}$/.test(option) ? Number(option) : Number.NaN;
  if (!Number.isInteger(ttl) || ttl <= 0) throw usage('--ttl must be a positive number of seconds');
  if (ttl > maxTokenAgeSeconds) throw usage(`--ttl ${ttl} exceeds identity.max_token_age_seconds (${maxTokenAgeSeconds}): the gateway would refuse the token`);
  return ttl;
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
  const ttl = mintTtl(options.ttl, config.identity.maxTokenAgeSeconds);
  const roles = (options.roles ?? '').split(',').map((r) => r.trim()).filter((r) => r !== '');
  const token = await mintToken(
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
