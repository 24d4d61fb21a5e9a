/**
 * Identity (device and inode) of the files an open SQLite database writes to: the database
 * and its `-wal` and `-shm` companions. An open connection keeps writing to the files it
 * opened even after they are deleted or replaced at their paths, so a store that commits
 * events must notice when the files at those paths are no longer the ones it holds —
 * otherwise it acknowledges events that no file on disk keeps. One `stat` per file.
 */
import { statSync } from 'node:fs';

interface Identity {
  dev: number;
  ino: number;
}

function identityOf(path: string): Identity | null {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat === undefined || !stat.isFile() ? null : { dev: stat.dev, ino: stat.ino };
}

export class FileIdentityWatch {
  readonly #files: Array<{ path: string; identity: Identity | null }>;

  /**
   * Records the identity of the files at `paths` now. The database file must exist; a
   * companion that does not exist yet (SQLite creates them on demand) is recorded the first
   * time a check finds it.
   */
  constructor(database: string, companions: readonly string[]) {
    const identity = identityOf(database);
    if (identity === null) throw new Error(`audit database ${database} is not a regular file`);
    this.#files = [{ path: database, identity }, ...companions.map((path) => ({ path, identity: identityOf(path) }))];
  }

  /** Null while every file is the one first seen at its path; otherwise what changed. */
  check(): string | null {
    for (const file of this.#files) {
      let now: Identity | null;
      try {
        now = identityOf(file.path);
      } catch (error) {
        return `${file.path} cannot be checked (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
      }
      if (file.identity === null) {
        file.identity = now;
        continue;
      }
      if (now === null) return `${file.path} was deleted or is no longer a regular file`;
      if (now.dev !== file.identity.dev || now.ino !== file.identity.ino) return `${file.path} was replaced by another file`;
    }
    return null;
  }
}
