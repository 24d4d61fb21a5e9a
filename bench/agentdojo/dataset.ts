/**
 * The AgentDojo export on disk (`agentdojo-v1.2.1.json`, `environments/<suite>/`,
 * `attack-important-instructions.json`): typed, loaded once, never changed. Environment
 * YAML keeps its `{vector}` placeholders here; the world fills them per run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { ScalarTag } from 'yaml';
import type { JsonValue } from '../../src/core/canonical.ts';

export const SUITE_NAMES = ['workspace', 'travel', 'banking', 'slack'] as const;
export type SuiteName = (typeof SUITE_NAMES)[number];

export type JsonObject = { [key: string]: JsonValue };

export interface ToolSpec {
  name: string;
  description: string;
  parameters: JsonObject;
}

export interface GroundTruthCall {
  tool: string;
  args: JsonObject;
  /** User tasks: injection vectors this call's output carries. */
  returns_injection_vectors?: string[];
  /** Injection tasks: which arguments are filled from data the attacker wants (`$content`, ...). */
  placeholder_args?: JsonObject | null;
}

export interface UserTask {
  id: string;
  prompt: string;
  difficulty: string;
  ground_truth_calls: GroundTruthCall[];
  injection_vectors_seen: string[];
}

export interface InjectionTask {
  id: string;
  goal: string;
  difficulty: string;
  ground_truth_calls: GroundTruthCall[];
}

export interface SuiteData {
  name: SuiteName;
  tools: ToolSpec[];
  /** Vector name -> benign default text (escape sequences already decoded). */
  vectorDefaults: Record<string, string>;
  userTasks: UserTask[];
  injectionTasks: InjectionTask[];
  /** environment.yaml (includes resolved), `{vector}` placeholders still in place. */
  environment: JsonObject;
}

export interface AttackFrame {
  name: string;
  user: string;
  model: string;
  template: string;
}

export interface Dataset {
  dir: string;
  version: string;
  suites: Record<SuiteName, SuiteData>;
  attack: AttackFrame;
}

/** `../shared/benchmarks/agentdojo` relative to the repository root. */
export function defaultDataDir(): string {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return resolve(repo, '..', 'shared', 'benchmarks', 'agentdojo');
}

/**
 * Where the data is: an explicit directory, else `../shared/benchmarks/agentdojo` beside the
 * repository, else the same path beside the main checkout when running from a git worktree
 * (`<main>/../shared/...` via the `.git` file's `gitdir:` line).
 */
export function resolveDataDir(explicit?: string): string {
  const candidates: string[] = [];
  if (explicit !== undefined) candidates.push(resolve(explicit));
  else {
    candidates.push(defaultDataDir());
    const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
    const gitFile = join(repo, '.git');
    if (existsSync(gitFile)) {
      const text = safeRead(gitFile);
      const match = /^gitdir:\s*(.+)$/m.exec(text ?? '');
      if (match?.[1] !== undefined) {
        // <main>/.git/worktrees/<name> -> <main>
        const main = resolve(match[1].trim(), '..', '..', '..');
        candidates.push(resolve(main, '..', 'shared', 'benchmarks', 'agentdojo'));
      }
    }
  }
  for (const dir of candidates) {
    if (existsSync(join(dir, 'agentdojo-v1.2.1.json'))) return dir;
  }
  throw new Error(`AgentDojo data not found (looked in ${candidates.join(', ')}); pass --data <dir>`);
}

function safeRead(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/**
 * The vectors' defaults are stored the way they are written into environment.yaml's
 * double-quoted scalars upstream, where `\n` and `\t` are escape sequences (only the bank
 * bill uses them). Decoded here so the default text reads as it does in the upstream run.
 */
export function decodeDefault(text: string): string {
  return text.replace(/\\([nt\\])/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : '\\'));
}

function loadEnvironment(dir: string): JsonObject {
  const includeTag: ScalarTag = {
    tag: '!include',
    resolve: (value: string) => parse(readFileSync(join(dir, value), 'utf8')) as unknown as string,
  };
  const text = readFileSync(join(dir, 'environment.yaml'), 'utf8');
  return parse(text, { customTags: [includeTag] }) as JsonObject;
}

interface RawSuite {
  tools: ToolSpec[];
  injection_vectors: Record<string, string>;
  user_tasks: UserTask[];
  injection_tasks: InjectionTask[];
}

export function loadDataset(dataDir?: string): Dataset {
  const dir = resolveDataDir(dataDir);
  const raw = JSON.parse(readFileSync(join(dir, 'agentdojo-v1.2.1.json'), 'utf8')) as {
    version: string;
    suites: Record<string, RawSuite>;
  };
  const attack = JSON.parse(readFileSync(join(dir, 'attack-important-instructions.json'), 'utf8')) as AttackFrame;
  const suites = {} as Record<SuiteName, SuiteData>;
  for (const name of SUITE_NAMES) {
    const suite = raw.suites[name];
    if (suite === undefined) throw new Error(`suite ${name} missing from the AgentDojo export`);
    suites[name] = {
      name,
      tools: suite.tools,
      vectorDefaults: Object.fromEntries(Object.entries(suite.injection_vectors).map(([k, v]) => [k, decodeDefault(v)])),
      userTasks: suite.user_tasks,
      injectionTasks: suite.injection_tasks,
      environment: loadEnvironment(join(dir, 'environments', name)),
    };
  }
  return { dir, version: raw.version, suites, attack };
}

/** The attack text for one injection goal: the standard "important instructions" frame. */
export function attackText(frame: AttackFrame, goal: string): string {
  return frame.template.replaceAll('{user}', frame.user).replaceAll('{model}', frame.model).replaceAll('{goal}', goal);
}
