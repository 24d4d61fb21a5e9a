/** `airlock token mint`: dev tokens for configs with an HS256 issuer. */
import { AirlockError } from '../../core/errors.ts';
import { mintToken } from '../../pipeline/index.ts';
import { loadConfigOrExit } from '../config-loading.ts';

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
