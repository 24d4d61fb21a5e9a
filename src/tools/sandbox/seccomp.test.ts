import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AUDIT_ARCH_X86_64,
  CLONE_NAMESPACE_FLAGS,
  ENOSYS_SYSCALLS_X86_64,
  KILLED_SYSCALLS_X86_64,
  NETWORK_FAMILIES,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SYSCALL_CLONE,
  SYSCALL_CLONE3,
  SYSCALL_SOCKET,
  runSeccomp,
  seccompProgram,
} from './seccomp.ts';

const KILLED = new Set(Object.values(KILLED_SYSCALLS_X86_64));
const ENOSYS = new Set(Object.values(ENOSYS_SYSCALLS_X86_64));

/** The verdict the filter is meant to give, written independently of the program. */
function expected(network: boolean, probe: { arch: number; nr: number; arg0: number }): number {
  if (probe.arch !== AUDIT_ARCH_X86_64) return SECCOMP_RET_KILL_PROCESS;
  if (probe.nr >= 0x40000000) return SECCOMP_RET_KILL_PROCESS;
  if (KILLED.has(probe.nr)) return SECCOMP_RET_KILL_PROCESS;
  if (ENOSYS.has(probe.nr)) return SECCOMP_RET_ERRNO | 38;
  if (probe.nr === SYSCALL_CLONE) return (probe.arg0 & CLONE_NAMESPACE_FLAGS) !== 0 ? SECCOMP_RET_KILL_PROCESS : SECCOMP_RET_ALLOW;
  if (!network && probe.nr === SYSCALL_SOCKET && NETWORK_FAMILIES.includes(probe.arg0)) return SECCOMP_RET_KILL_PROCESS;
  return SECCOMP_RET_ALLOW;
}

test('the program is whole sock_filter records and every jump lands inside it', () => {
  for (const network of [true, false]) {
    const program = seccompProgram({ network });
    assert.equal(program.length % 8, 0);
    const count = program.length / 8;
    assert.ok(count < 4096, 'within the kernel limit (BPF_MAXINSNS)');
    for (let pc = 0; pc < count; pc++) {
      const code = program.readUInt16LE(pc * 8);
      if ((code & 0x07) === 0x05) {
        assert.ok(pc + 1 + program.readUInt8(pc * 8 + 2) < count);
        assert.ok(pc + 1 + program.readUInt8(pc * 8 + 3) < count);
      }
    }
    assert.equal(program.readUInt16LE((count - 1) * 8), 0x06, 'ends with a return');
  }
});

test('known verdicts', () => {
  const program = seccompProgram({ network: false });
  const v = (nr: number, arg0 = 0, arch = AUDIT_ARCH_X86_64) => runSeccomp(program, { arch, nr, arg0 });
  assert.equal(v(0), SECCOMP_RET_ALLOW, 'read');
  assert.equal(v(59), SECCOMP_RET_ALLOW, 'execve');
  assert.equal(v(101), SECCOMP_RET_KILL_PROCESS, 'ptrace');
  assert.equal(v(165), SECCOMP_RET_KILL_PROCESS, 'mount');
  assert.equal(v(272), SECCOMP_RET_KILL_PROCESS, 'unshare');
  assert.equal(v(SYSCALL_SOCKET, 1), SECCOMP_RET_ALLOW, 'AF_UNIX socket');
  assert.equal(v(SYSCALL_SOCKET, 2), SECCOMP_RET_KILL_PROCESS, 'AF_INET socket');
  assert.equal(v(SYSCALL_SOCKET, 10), SECCOMP_RET_KILL_PROCESS, 'AF_INET6 socket');
  assert.equal(v(SYSCALL_CLONE, 0x01200011), SECCOMP_RET_ALLOW, 'fork-style clone');
  assert.equal(v(SYSCALL_CLONE, 0x10000000), SECCOMP_RET_KILL_PROCESS, 'clone(CLONE_NEWUSER)');
  assert.equal(v(SYSCALL_CLONE3), SECCOMP_RET_ERRNO | 38, 'clone3 -> ENOSYS');
  assert.equal(v(425), SECCOMP_RET_ERRNO | 38, 'io_uring_setup -> ENOSYS');
  assert.equal(v(0x40000000 + 1), SECCOMP_RET_KILL_PROCESS, 'x32 ABI');
  assert.equal(v(0, 0, 0xc00000b7), SECCOMP_RET_KILL_PROCESS, 'aarch64 arch on an x86_64 filter');
  assert.equal(runSeccomp(seccompProgram({ network: true }), { arch: AUDIT_ARCH_X86_64, nr: SYSCALL_SOCKET, arg0: 2 }), SECCOMP_RET_ALLOW, 'network allowed');
});

test('property: the program decides every call as the rules say', () => {
  const programs = { true: seccompProgram({ network: true }), false: seccompProgram({ network: false }) };
  const nr = fc.oneof(fc.integer({ min: 0, max: 600 }), fc.constantFrom(...KILLED, SYSCALL_CLONE, SYSCALL_CLONE3, SYSCALL_SOCKET), fc.integer({ min: 0, max: 0xffffffff }));
  const arg0 = fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0, 1, 2, 10, 16, 17, CLONE_NAMESPACE_FLAGS, 0x01200011));
  const arch = fc.oneof(fc.constant(AUDIT_ARCH_X86_64), fc.integer({ min: 0, max: 0xffffffff }));
  fc.assert(
    fc.property(fc.boolean(), arch, nr, arg0, (network, a, n, x) => {
      const probe = { arch: a, nr: n, arg0: x };
      assert.equal(runSeccomp(programs[`${network}`], probe), expected(network, probe) >>> 0);
    }),
    { numRuns: 5000 },
  );
});
