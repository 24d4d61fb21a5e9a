/**
 * Loading `airlock.yaml`: YAML parse (keeping source ranges), schema check, semantic
 * checks, then defaults. Any problem throws one AirlockError listing every issue with
 * its line and column; nothing partially valid is ever returned.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { AirlockError } from '../core/errors.ts';
import { configInvalid, configSyntax, type ConfigIssue } from './errors.ts';
import { SourceLocator } from './locate.ts';
import { normalizeConfig } from './normalize.ts';
import { semanticIssues } from './semantic.ts';
import type { AirlockConfig } from './types.ts';
import { schemaIssues } from './validate.ts';
import { firstAliasOffset, sameKey, yamlProblems } from './yaml-strict.ts';

export interface ParseConfigOptions {
  /** Name used in messages (`airlock.yaml:14:18 ...`); `<inline>` for text with no file. */
  filename: string;
  /** Directory relative paths resolve against (the config file's directory). */
  baseDir: string;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '').trim();
}

/** Parses, validates and defaults the text of an airlock.yaml. Throws ERR_CONFIG_SYNTAX / ERR_CONFIG_INVALID. */
export function parseConfig(text: string, options: ParseConfigOptions): AirlockConfig {
  const { filename } = options;
  const baseDir = resolve(options.baseDir);
  const lineCounter = new LineCounter();
  // Keys are unique by the property name they become (`1` and "1" clash), not by YAML value.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: sameKey });
  const locator = new SourceLocator(doc, lineCounter);

  // Parser errors, then what the parser only warns about (unknown tags) and keys that are not plain names.
  const problems = doc.errors.length > 0 ? doc.errors.map((error) => ({ offset: error.pos[0], message: error.message })) : yamlProblems(doc);
  if (problems.length > 0) {
    const issues: ConfigIssue[] = problems.map((problem) => ({
      path: '',
      ...locator.position(problem.offset),
      message: firstLine(problem.message),
    }));
    throw configSyntax(filename, issues);
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    // Too many aliases (a "billion laughs" document): point at the first alias.
    const at = firstAliasOffset(doc);
    const position = at === undefined ? { line: 1, column: 1 } : locator.position(at);
    throw configSyntax(filename, [{ path: '', ...position, message: firstLine(String((err as Error).message ?? err)) }]);
  }

  const issues = [...schemaIssues(data, locator), ...semanticIssues(data, locator)];
  if (issues.length > 0) throw configInvalid(filename, issues);

  const source = filename.startsWith('<') ? filename : isAbsolute(filename) ? filename : resolve(baseDir, filename);
  return normalizeConfig(data as Record<string, unknown>, source, baseDir);
}

/** Reads and parses a config file; relative paths in it resolve against its directory. */
export async function loadConfig(path: string): Promise<AirlockConfig> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AirlockError(
      code === 'ENOENT' ? 'ERR_CONFIG_NOT_FOUND' : 'ERR_CONFIG_READ',
      code === 'ENOENT' ? `config file ${path} does not exist` : `config file ${path} cannot be read (${code ?? 'error'})`,
      { status: 400, details: { file: path }, cause: err },
    );
  }
  const config = parseConfig(text, { filename: path, baseDir: dirname(absolute) });
  return { ...config, source: absolute };
}
