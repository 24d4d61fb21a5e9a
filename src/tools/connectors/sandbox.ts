/**
 * SandboxConnector: runs a command or code tool in the bubblewrap sandbox (../sandbox).
 * The call's arguments reach the command as JSON on stdin (`stdin: json`) and/or through
 * `{name}` placeholders in its argv (each one a whole argument: no shell ever parses them).
 * stdout is the result: JSON (`output: json`) or `{ stdout }` text. Every run is reported to
 * `call.telemetry` (exit, signal, violations, output sizes) for the result event.
 * Errors: a run that broke a sandbox rule or limit → ERR_SANDBOX_VIOLATION (details: the
 * violation codes); another non-zero exit → ERR_SANDBOX_FAILED (exit code, a short stderr
 * excerpt, redacted if it looks like a credential); bad output → ERR_CONNECTOR_RESPONSE.
 */
import type { JsonValue } from '../../core/canonical.ts';
import { AirlockError } from '../../core/errors.ts';
import type { Connector, ConnectorCall, SandboxConnectorSpec } from '../../core/types.ts';
import { toPlainJson } from '../json.ts';
import { runSandboxed } from '../sandbox/run.ts';
import { looksLikeSecret } from '../secrets.ts';
import { abortError } from './abort.ts';

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const STDERR_EXCERPT = 200;

function argumentText(args: Record<string, JsonValue>, name: string): string {
  const value = Object.hasOwn(args, name) ? args[name] : undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new AirlockError('ERR_CONNECTOR_ARGUMENT', `argument ${name} must be a string, number or boolean to be placed in the command`, {
    status: 400,
    details: { argument: name },
  });
}

export class SandboxConnector implements Connector {
  readonly #spec: SandboxConnectorSpec;

  constructor(spec: SandboxConnectorSpec) {
    if (spec.command.length === 0 || !(spec.command[0] ?? '').startsWith('/')) {
      throw new AirlockError('ERR_TOOLS_CONNECTOR_INVALID', 'a sandbox command must start with an absolute path', { status: 500 });
    }
    this.#spec = spec;
  }

  async execute(call: ConnectorCall): Promise<JsonValue> {
    const { signal } = call;
    if (signal.aborted) throw abortError(signal);
    const spec = this.#spec;
    const command = spec.command.map((part) => part.replace(PLACEHOLDER, (_m, name: string) => argumentText(call.arguments, name)));
    const result = await runSandboxed({
      command,
      env: spec.env,
      network: spec.network,
      readOnlyPaths: spec.readOnlyPaths,
      limits: spec.limits,
      ...(spec.stdin === 'json' ? { stdin: JSON.stringify(call.arguments) } : {}),
      signal,
    });
    call.telemetry?.sandbox(result.report);
    if (signal.aborted) throw abortError(signal);
    const { report } = result;
    if (report.violations.length > 0) {
      throw new AirlockError('ERR_SANDBOX_VIOLATION', `the sandboxed tool broke ${report.violations.map((v) => v.code).join(', ')}`, {
        status: 502,
        details: { violations: report.violations.map((v) => v.code), exit_code: report.exit_code, signal: report.signal },
      });
    }
    if (report.exit_code !== 0) {
      const text = result.stderr.slice(-STDERR_EXCERPT);
      throw new AirlockError('ERR_SANDBOX_FAILED', `the sandboxed tool exited with ${report.exit_code ?? report.signal}`, {
        status: 502,
        details: { exit_code: report.exit_code, signal: report.signal, stderr: looksLikeSecret(text) ? '[redacted]' : text },
      });
    }
    if (spec.output === 'text') return { stdout: result.stdout };
    let parsed: unknown;
    try {
      parsed = JSON.parse(result.stdout);
    } catch (error) {
      throw new AirlockError('ERR_CONNECTOR_RESPONSE', 'the sandboxed tool did not print json', { status: 502, cause: error });
    }
    const copied = toPlainJson(parsed);
    if (!copied.ok) throw new AirlockError('ERR_CONNECTOR_RESPONSE', 'the sandboxed tool printed json that is not representable', { status: 502 });
    return copied.value;
  }
}
