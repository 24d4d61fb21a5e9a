/**
 * Config error reporting: the issue shape carried in `details.errors` of
 * ERR_CONFIG_INVALID / ERR_CONFIG_SYNTAX, the error constructors, and the one-line-per-issue
 * format the CLI prints (`airlock.yaml:14:18 tools[2].side_effect: must be one of ...`).
 */
import { AirlockError, isAirlockError } from '../core/errors.ts';

export interface ConfigIssue {
  /** Config path as written in YAML (`tools[2].side_effect`); empty for the whole document. */
  path: string;
  line: number;
  column: number;
  message: string;
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  const unique: ConfigIssue[] = [];
  for (const issue of issues) {
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(issue);
  }
  return unique.sort((a, b) => a.line - b.line || a.column - b.column || a.path.localeCompare(b.path));
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export function configInvalid(file: string, issues: ConfigIssue[]): AirlockError {
  const errors = sortIssues(issues);
  return new AirlockError('ERR_CONFIG_INVALID', `${file}: invalid configuration (${plural(errors.length, 'error')})`, {
    status: 400,
    details: { file, errors },
  });
}

export function configSyntax(file: string, issues: ConfigIssue[]): AirlockError {
  const errors = sortIssues(issues);
  return new AirlockError('ERR_CONFIG_SYNTAX', `${file}: yaml syntax error (${plural(errors.length, 'error')})`, {
    status: 400,
    details: { file, errors },
  });
}

function isIssue(value: unknown): value is ConfigIssue {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.path === 'string' && typeof v.line === 'number' && typeof v.column === 'number' && typeof v.message === 'string';
}

/**
 * One line per issue, `file:line:column path: message`. Any other error is rendered as
 * `CODE: message` so the CLI can print whatever loadConfig threw.
 */
export function formatConfigErrors(err: unknown): string {
  if (!isAirlockError(err)) return err instanceof Error ? err.message : String(err);
  const details = err.details ?? {};
  const file = typeof details.file === 'string' ? details.file : 'airlock.yaml';
  const issues = Array.isArray(details.errors) ? details.errors.filter(isIssue) : [];
  if (issues.length === 0) return `${err.code}: ${err.message}`;
  return issues
    .map((issue) => {
      const where = `${file}:${issue.line}:${issue.column}`;
      return issue.path === '' ? `${where} ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
    })
    .join('\n');
}
