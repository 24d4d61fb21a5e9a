/**
 * Reads a policy bundle from disk: every `*.cedar` file under a directory, recursively,
 * keyed by its path relative to that directory (posix separators), in file-name order.
 * Symbolic links and other non-regular entries are skipped.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { AirlockError } from '../core/errors.ts';
import type { PolicyBundleSource } from './types.ts';

async function walk(root: string, dir: string, found: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await walk(root, full, found);
    else if (entry.isFile() && entry.name.endsWith('.cedar')) found.push(relative(root, full).split(sep).join('/'));
  }
}

export async function loadBundleFromDir(dir: string): Promise<PolicyBundleSource> {
  const paths: string[] = [];
  try {
    await walk(dir, dir, paths);
  } catch (error) {
    throw new AirlockError('ERR_POLICY_BUNDLE_UNREADABLE', 'policy bundle directory cannot be read', {
      status: 500,
      cause: error,
      details: { dir },
    });
  }
  paths.sort();
  const files: Record<string, string> = {};
  for (const path of paths) {
    try {
      files[path] = await readFile(join(dir, path), 'utf8');
    } catch (error) {
      throw new AirlockError('ERR_POLICY_BUNDLE_UNREADABLE', 'policy file cannot be read', {
        status: 500,
        cause: error,
        details: { file: path },
      });
    }
  }
  return { files };
}
