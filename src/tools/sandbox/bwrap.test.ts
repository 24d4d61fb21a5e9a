import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostEntry } from './bwrap.ts';
import { bwrapArguments, prlimitArguments } from './bwrap.ts';

const limits = { cpuSeconds: 3, memoryBytes: 64 * 1024 * 1024, processes: 8, outputBytes: 4096, fileBytes: 1 << 20, wallMs: 1000 };
const host = (path: string): HostEntry => (['/bin', '/lib', '/lib64', '/sbin'].includes(path) ? { kind: 'link', target: `usr${path}` } : path.startsWith('/etc/ssl') || path === '/etc/passwd' || path === '/etc/resolv.conf' ? { kind: 'file' } : { kind: 'missing' });

function pairs(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] as string] : []));
}

test('namespaces, read-only root, one writable work folder, seccomp on fd 3, limits before the command', () => {
  const args = bwrapArguments({ command: ['/usr/bin/python3', '-c', 'print(1)'], env: { MODE: 'x' }, network: false, readOnlyPaths: ['/opt/tool'], limits }, host);
  for (const flag of ['--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session']) assert.ok(args.includes(flag), flag);
  assert.ok(!args.includes('--share-net'));
  assert.deepEqual(pairs(args, '--remount-ro'), ['/']);
  assert.deepEqual(pairs(args, '--tmpfs'), ['/dev/shm', '/work']);
  assert.deepEqual(pairs(args, '--seccomp'), ['3']);
  assert.ok(!pairs(args, '--ro-bind').includes('/'), 'the host root is never bound');
  assert.ok(!pairs(args, '--bind').length, 'nothing of the host is bound writable');
  assert.ok(pairs(args, '--ro-bind').includes('/opt/tool'));
  assert.ok(!pairs(args, '--ro-bind').includes('/etc/resolv.conf'), 'no DNS config without network');
  assert.deepEqual(pairs(args, '--symlink'), ['usr/bin', 'usr/sbin', 'usr/lib', 'usr/lib64']);
  assert.ok(pairs(args, '--dir').includes('/etc/shadow'));
  const end = args.indexOf('--');
  assert.deepEqual(args.slice(end + 1), [...prlimitArguments(limits), '--', '/usr/bin/python3', '-c', 'print(1)']);
  assert.ok(!args.includes('MODE') && !args.includes('x'), 'environment values never go on the command line');
  assert.deepEqual(pairs(args, '--setenv'), ['PATH', 'HOME', 'TMPDIR', 'LANG']);
});

test('network: shares the host network and its DNS and certificate files', () => {
  const args = bwrapArguments({ command: ['/bin/true'], env: {}, network: true, readOnlyPaths: [], limits }, host);
  assert.ok(args.includes('--share-net'));
  assert.ok(pairs(args, '--ro-bind').includes('/etc/resolv.conf'));
});

test('prlimit: hard limits, cpu soft limit below hard so it arrives as SIGXCPU', () => {
  assert.deepEqual(prlimitArguments(limits), ['/usr/bin/prlimit', '--cpu=3:4', `--as=${64 * 1024 * 1024}`, '--nproc=8', `--fsize=${1 << 20}`, '--core=0', '--nofile=256']);
});

test('every writable tmpfs is bounded: /dev/shm (writable in bwrap\'s /dev) gets its own tmpfs after /dev, with a size', () => {
  const args = bwrapArguments({ command: ['/bin/true'], env: {}, network: false, readOnlyPaths: [], limits }, host);
  const dev = args.indexOf('--dev');
  assert.ok(dev >= 0);
  args.forEach((arg, i) => {
    if (arg !== '--tmpfs') return;
    // bwrap's --size applies to the next tmpfs: each one must be preceded by its own --size
    const size = args.lastIndexOf('--size', i);
    assert.ok(size >= 0 && !args.slice(size + 2, i).includes('--tmpfs'), `tmpfs ${args[i + 1]} has a size`);
    assert.equal(args[size + 1], String(limits.fileBytes));
  });
  const shm = args.findIndex((a, i) => a === '--tmpfs' && args[i + 1] === '/dev/shm');
  assert.ok(shm > dev, '/dev/shm is mounted over /dev, after it');
});
