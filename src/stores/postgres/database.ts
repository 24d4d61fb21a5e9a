/**
 * PostgresDatabase: the one connection pool every PostgreSQL store of a gateway shares.
 * Owns the driver (`pg`), the schema the stores live in (`search_path`), the bounds on
 * every wait (connect, query, idle-in-transaction) and the mapping of driver faults to
 * `ERR_STORE_UNAVAILABLE` (503), so a database that is down or slow refuses calls within a
 * bounded time instead of hanging them. Constraint violations are not faults: they pass
 * through with their SQLSTATE for the adapter to interpret (see `sqlState`).
 */
import pg from 'pg';
import { AirlockError } from '../../core/errors.ts';

export interface PostgresOptions {
  /** `postgres://user@host:port/database`. */
  url: string;
  /** Schema the stores' tables live in (created by the migrations); default `airlock`. */
  schema?: string;
  /** Connections in the pool; default 10. */
  poolSize?: number;
  /** Longest wait for a connection (new or from the pool), ms; default 2,000. */
  connectTimeoutMs?: number;
  /** Longest a single statement may run, enforced by the client and the server, ms; default 5,000. */
  statementTimeoutMs?: number;
}

/** What a transaction body gets: queries on the transaction's own connection. */
export interface PostgresTx {
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** SQLSTATEs that mean "the database did not answer" rather than "the statement was refused". */
function isConnectivityFault(error: unknown): boolean {
  if (!(error instanceof Error)) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    // 08xxx connection exceptions, 57P01..57P03 admin shutdown / crash / cannot connect now,
    // 57014 query canceled (statement_timeout), 53xxx insufficient resources.
    if (/^08/.test(code) || /^57P0[1-3]$/.test(code) || code === '57014' || /^53/.test(code)) return true;
    if (/^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET, ETIMEDOUT ... (node socket errors)
    return false;
  }
  // pg raises plain Errors for client-side timeouts and terminated connections.
  return /timeout|terminated|Connection|ECONN|not queryable|Client has encountered/i.test(error.message);
}

/** SQLSTATE of a driver error (e.g. `23505` unique violation), or null. */
export function sqlState(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
}

/**
 * A driver failure as a store error: faults already typed pass through; a value PostgreSQL
 * cannot hold (SQLSTATE class 22, e.g. a NUL character in a text column) is
 * `ERR_STORE_VALUE_UNREPRESENTABLE` (400: a retry would fail the same way); anything else is
 * the store failing (`ERR_STORE_UNAVAILABLE`).
 */
export function storeFault(error: unknown, what: string): AirlockError {
  if (error instanceof AirlockError) return error;
  if (sqlState(error)?.startsWith('22') === true) {
    return new AirlockError('ERR_STORE_VALUE_UNREPRESENTABLE', `${what}: a value cannot be represented in the database`, { status: 400, cause: error });
  }
  return storeUnavailable(error, what);
}

/** PostgreSQL text holds no NUL: a key with one names no stored row (it could not have been stored). */
export function storableText(key: string): boolean {
  return !key.includes('\u0000');
}

export function storeUnavailable(cause: unknown, what = 'the postgresql store did not answer'): AirlockError {
  return new AirlockError('ERR_STORE_UNAVAILABLE', what, { status: 503, cause });
}

export class PostgresDatabase {
  readonly schema: string;
  readonly #pool: pg.Pool;
  #closed = false;

  private constructor(pool: pg.Pool, schema: string) {
    this.#pool = pool;
    this.schema = schema;
  }

  static open(options: PostgresOptions): PostgresDatabase {
    const schema = options.schema ?? 'airlock';
    if (!SCHEMA_NAME.test(schema)) {
      throw new AirlockError('ERR_CONFIG_INVALID', `postgres schema name ${JSON.stringify(schema)} must match ${SCHEMA_NAME.source}`, { status: 400 });
    }
    const statementTimeoutMs = options.statementTimeoutMs ?? 5_000;
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 2_000,
      // Client-side bound (a stopped server never answers, so the server's own timeout cannot fire).
      query_timeout: statementTimeoutMs + 1_000,
      statement_timeout: statementTimeoutMs,
      idle_in_transaction_session_timeout: Math.max(10_000, statementTimeoutMs * 2),
      options: `-c search_path=${schema}`,
      keepAlive: true,
    });
    // An idle client losing its connection emits on the pool; without a listener that would crash the process.
    pool.on('error', () => undefined);
    return new PostgresDatabase(pool, schema);
  }

  /** Runs one statement on any pooled connection; rows as objects. */
  async query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<R[]> {
    this.#assertOpen();
    try {
      const result = await this.#pool.query(text, params as unknown[]);
      return result.rows as R[];
    } catch (error) {
      throw isConnectivityFault(error) ? storeUnavailable(error) : error;
    }
  }

  /**
   * Runs `body` in one transaction (READ COMMITTED unless told otherwise) on one connection:
   * committed when it resolves, rolled back when it throws. A commit that fails leaves
   * nothing behind (PostgreSQL's atomic commit); a commit whose answer is lost (the
   * connection dropped after COMMIT was sent) is reported as ERR_STORE_UNAVAILABLE and the
   * caller cannot tell whether it took effect: adapters that need to know design their
   * writes to be idempotent or re-readable.
   */
  async transaction<T>(body: (tx: PostgresTx) => Promise<T>, options: { isolation?: 'read committed' | 'repeatable read' | 'serializable' } = {}): Promise<T> {
    this.#assertOpen();
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw storeUnavailable(error);
    }
    let broken = false;
    // A checked-out client has no listener of the pool's: a backend terminated mid-transaction
    // would otherwise raise an unhandled 'error' and take the process down.
    const onClientError = (): void => {
      broken = true;
    };
    client.on('error', onClientError);
    const send = async (text: string, params: readonly unknown[]): Promise<pg.QueryResult | pg.QueryResult[]> => {
      try {
        return (await client.query(text, params as unknown[])) as pg.QueryResult | pg.QueryResult[];
      } catch (error) {
        if (isConnectivityFault(error)) {
          broken = true;
          throw storeUnavailable(error);
        }
        throw error;
      }
    };
    // BEGIN travels with the transaction's first statement when that one has no parameters
    // (one simple-query message, one round trip); otherwise it is sent on its own first.
    const begin = options.isolation === undefined ? 'BEGIN' : `BEGIN ISOLATION LEVEL ${options.isolation.toUpperCase()}`;
    let begun = false;
    const tx: PostgresTx = {
      query: async <R extends Record<string, unknown>>(text: string, params: readonly unknown[] = []) => {
        if (!begun) {
          begun = true;
          if (params.length === 0) {
            const results = await send(`${begin}; ${text}`, []);
            const last = Array.isArray(results) ? results[results.length - 1] : results;
            return (last?.rows ?? []) as R[];
          }
          await send(begin, []);
        }
        const result = await send(text, params);
        return (Array.isArray(result) ? (result[result.length - 1]?.rows ?? []) : result.rows) as R[];
      },
    };
    try {
      const value = await body(tx);
      if (begun) await tx.query('COMMIT');
      return value;
    } catch (error) {
      if (!broken && begun) await client.query('ROLLBACK').catch(() => (broken = true));
      throw error;
    } finally {
      // A connection that faulted mid-transaction is destroyed, never returned to the pool.
      client.removeListener('error', onClientError);
      client.release(broken ? true : undefined);
    }
  }

  /**
   * A dedicated connection outside the pool (LISTEN/NOTIFY); the caller ends it. Its statements
   * have the pool's client-side bound: a LISTEN the server never answers fails (it would
   * otherwise hold its subscriber, and a gateway's start, forever). Notifications are not
   * statements and are not bounded.
   */
  async dedicatedClient(): Promise<pg.Client> {
    this.#assertOpen();
    const opts = this.#pool.options;
    const client = new pg.Client({
      connectionString: opts.connectionString,
      connectionTimeoutMillis: opts.connectionTimeoutMillis,
      query_timeout: opts.query_timeout,
      options: `-c search_path=${this.schema}`,
      keepAlive: true,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      throw storeUnavailable(error);
    }
    return client;
  }

  /** True when the database answers a trivial query within the bounds (for /readyz). */
  async ping(): Promise<boolean> {
    try {
      await this.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  #assertOpen(): void {
    if (this.#closed) throw new AirlockError('ERR_STORE_CLOSED', 'the postgresql store is closed', { status: 503 });
  }
}

/**
 * Refuses a server (or this pool's connection) whose commits are answered before they are
 * flushed: with `synchronous_commit = off` or `fsync = off`, a crash can lose a commit already
 * acknowledged — an approval consumed, a credential used, an idempotency key claimed — and
 * the same one-time action could then run twice. ERR_STORE_DURABILITY (503).
 */
export async function assertDurableState(db: PostgresDatabase): Promise<void> {
  const rows = await db.query<{ synchronous_commit: string; fsync: string }>(
    `SELECT current_setting('synchronous_commit') AS synchronous_commit, current_setting('fsync') AS fsync`,
  );
  const row = rows[0];
  if (row === undefined || row.synchronous_commit === 'off' || row.fsync !== 'on') {
    throw new AirlockError(
      'ERR_STORE_DURABILITY',
      `postgresql synchronous_commit is ${row?.synchronous_commit ?? 'unknown'} and fsync ${row?.fsync ?? 'unknown'}; the state store needs both on (a commit must be flushed before it is acknowledged)`,
      { status: 503 },
    );
  }
}

