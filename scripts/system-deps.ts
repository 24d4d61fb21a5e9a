/**
 * System packages the test suite needs beyond npm: Debian's Chromium (browser tests of the
 * console, driven by playwright-core) and bubblewrap (the sandboxed tool connector). `npm test`
 * runs this first. A package already present is left alone; a missing one is installed with
 * apt-get when this runs as root (or with passwordless sudo), otherwise the script names the
 * command to run and exits 1 — the suite never silently skips what it cannot run.
 *
 * `node scripts/system-deps.ts --check` only reports.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

interface SystemPackage {
  /** Debian package name. */
  name: string;
  /** A file the package installs, to tell whether it is present. */
  probe: string;
  /** What the suite uses it for. */
  why: string;
}

export const SYSTEM_PACKAGES: readonly SystemPackage[] = [
  { name: 'chromium', probe: '/usr/bin/chromium', why: 'browser tests of the web console (playwright-core)' },
  { name: 'bubblewrap', probe: '/usr/bin/bwrap', why: 'the sandboxed tool connector and its escape tests' },
  { name: 'iproute2', probe: '/usr/sbin/ip', why: 'network namespaces with test hosts for the egress (SSRF) tests' },
];

function missingPackages(): SystemPackage[] {
  return SYSTEM_PACKAGES.filter((p) => !existsSync(p.probe));
}

function run(argv: string[]): boolean {
  const result = spawnSync(argv[0]!, argv.slice(1), {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return result.status === 0;
}

function installWith(prefix: string[], names: string[]): boolean {
  const install = [...prefix, 'apt-get', 'install', '-y', '--no-install-recommends', ...names];
  if (run(install)) return true;
  // A fresh machine has no package lists yet: fetch them once and try again.
  return run([...prefix, 'apt-get', 'update']) && run(install);
}

function main(): number {
  const missing = missingPackages();
  if (missing.length === 0) return 0;
  const names = missing.map((p) => p.name);
  for (const p of missing) process.stderr.write(`system-deps: ${p.name} is missing (${p.why})\n`);
  if (process.argv.includes('--check')) return 1;
  const canSudo = process.getuid?.() !== 0 && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  const prefix = process.getuid?.() === 0 ? [] : canSudo ? ['sudo', '-n'] : null;
  if (prefix === null) {
    process.stderr.write(`system-deps: run as root: apt-get install -y --no-install-recommends ${names.join(' ')}\n`);
    return 1;
  }
  process.stderr.write(`system-deps: installing ${names.join(', ')} from Debian's packages\n`);
  if (!installWith(prefix, names) || missingPackages().length > 0) {
    process.stderr.write(`system-deps: could not install ${names.join(', ')}\n`);
    return 1;
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(main());
