/**
 * The sandbox's seccomp filter, assembled as a classic BPF program (the format bubblewrap's
 * `--seccomp FD` loads: an array of 8-byte `struct sock_filter`, native endianness). Pure:
 * `seccompProgram(options)` returns the bytes, `SECCOMP_RULES` says what it refuses.
 *
 * The program: a foreign architecture or the x32 ABI is killed; the kernel-facing calls a
 * tool never needs (ptrace, mount and the new mount API, module and kexec loading,
 * namespace creation — unshare, setns, clone with a CLONE_NEW* flag —, keyrings, bpf,
 * perf, userfaultfd, handle-based opens, clock setting, reboot, ...) kill the process
 * (SIGSYS: recorded as a violation); clone3, whose flags a filter cannot read, and io_uring,
 * whose operations bypass the filter, fail with ENOSYS (runtimes probe them and fall back to
 * clone and threads); without network, socket() for IPv4,
 * IPv6 and packet sockets kills the process too. Everything else is allowed.
 * Only x86_64 is described here: on another architecture the sandbox refuses to run.
 */

export const AUDIT_ARCH_X86_64 = 0xc000003e;
const X32_SYSCALL_BIT = 0x40000000;

// struct seccomp_data offsets
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const OFFSET_ARG0_LOW = 16;

// BPF opcodes
const BPF_LD_W_ABS = 0x20;
const BPF_JMP_JEQ_K = 0x15;
const BPF_JMP_JGE_K = 0x35;
const BPF_JMP_JSET_K = 0x45;
const BPF_RET_K = 0x06;

export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
const ENOSYS = 38;

/** x86_64 numbers of the calls the filter kills (name -> number). */
export const KILLED_SYSCALLS_X86_64: Readonly<Record<string, number>> = {
  ptrace: 101,
  process_vm_readv: 310,
  process_vm_writev: 311,
  mount: 165,
  umount2: 166,
  pivot_root: 155,
  chroot: 161,
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  sethostname: 170,
  setdomainname: 171,
  init_module: 175,
  delete_module: 176,
  finit_module: 313,
  kexec_load: 246,
  kexec_file_load: 320,
  unshare: 272,
  setns: 308,
  keyctl: 250,
  add_key: 248,
  request_key: 249,
  bpf: 321,
  perf_event_open: 298,
  userfaultfd: 323,
  open_by_handle_at: 304,
  name_to_handle_at: 303,
  acct: 163,
  quotactl: 179,
  lookup_dcookie: 212,
  fanotify_init: 300,
  iopl: 172,
  ioperm: 173,
  mount_setattr: 442,
  move_mount: 429,
  open_tree: 428,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  settimeofday: 164,
  clock_settime: 227,
  adjtimex: 159,
  syslog: 103,
  vhangup: 153,
  uselib: 134,
};

/** Calls refused with ENOSYS rather than killed: runtimes probe them at start and fall back (clone3 -> clone; io_uring -> threads). */
export const ENOSYS_SYSCALLS_X86_64: Readonly<Record<string, number>> = { clone3: 435, io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427 };

export const SYSCALL_CLONE = 56;
export const SYSCALL_CLONE3 = 435;
export const SYSCALL_SOCKET = 41;
/** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME */
export const CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080;
/** AF_INET, AF_INET6, AF_PACKET: refused without network (AF_UNIX and AF_NETLINK stay). */
export const NETWORK_FAMILIES = [2, 10, 17];

export interface SeccompOptions {
  /** The sandbox has network: socket() is not restricted. */
  network: boolean;
}

interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

const stmt = (code: number, k: number): Instruction => ({ code, jt: 0, jf: 0, k });
const jump = (code: number, k: number, jt: number, jf: number): Instruction => ({ code, jt, jf, k });

/** The filter as instructions (exported for the interpreter in the tests). */
export function seccompInstructions(options: SeccompOptions): Instruction[] {
  const kill = stmt(BPF_RET_K, SECCOMP_RET_KILL_PROCESS);
  const out: Instruction[] = [
    stmt(BPF_LD_W_ABS, OFFSET_ARCH),
    jump(BPF_JMP_JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
    kill,
    stmt(BPF_LD_W_ABS, OFFSET_NR),
    jump(BPF_JMP_JGE_K, X32_SYSCALL_BIT, 0, 1),
    kill,
  ];
  // Each refused call: "if nr == N then return verdict", with the return right after (no long jumps).
  for (const nr of Object.values(KILLED_SYSCALLS_X86_64)) out.push(jump(BPF_JMP_JEQ_K, nr, 0, 1), kill);
  for (const nr of Object.values(ENOSYS_SYSCALLS_X86_64)) out.push(jump(BPF_JMP_JEQ_K, nr, 0, 1), stmt(BPF_RET_K, SECCOMP_RET_ERRNO | ENOSYS));
  // clone: kill when flags (arg 0, low word) ask for a new namespace; reload nr afterwards.
  out.push(
    jump(BPF_JMP_JEQ_K, SYSCALL_CLONE, 0, 4),
    stmt(BPF_LD_W_ABS, OFFSET_ARG0_LOW),
    jump(BPF_JMP_JSET_K, CLONE_NAMESPACE_FLAGS, 0, 1),
    kill,
    stmt(BPF_RET_K, SECCOMP_RET_ALLOW),
  );
  if (!options.network) {
    const families = NETWORK_FAMILIES;
    // if nr == socket: load domain; for each family: if equal -> kill; else allow.
    out.push(jump(BPF_JMP_JEQ_K, SYSCALL_SOCKET, 0, 2 + families.length * 2), stmt(BPF_LD_W_ABS, OFFSET_ARG0_LOW));
    for (const family of families) out.push(jump(BPF_JMP_JEQ_K, family, 0, 1), kill);
    out.push(stmt(BPF_RET_K, SECCOMP_RET_ALLOW));
  }
  out.push(stmt(BPF_RET_K, SECCOMP_RET_ALLOW));
  return out;
}

/** The filter as bytes for `bwrap --seccomp FD` (struct sock_filter, little endian). */
export function seccompProgram(options: SeccompOptions): Buffer {
  const instructions = seccompInstructions(options);
  const out = Buffer.alloc(instructions.length * 8);
  instructions.forEach((ins, i) => {
    out.writeUInt16LE(ins.code, i * 8);
    out.writeUInt8(ins.jt, i * 8 + 2);
    out.writeUInt8(ins.jf, i * 8 + 3);
    out.writeUInt32LE(ins.k >>> 0, i * 8 + 4);
  });
  return out;
}

/** What `seccomp_data` a filter sees for one call (the fields this filter reads). */
export interface SyscallProbe {
  arch: number;
  nr: number;
  /** Low 32 bits of the first argument. */
  arg0: number;
}

/**
 * Runs a classic BPF program over one probe, as the kernel would (the subset of opcodes the
 * filter uses; anything else is an error). For tests and for checking a program before use.
 */
export function runSeccomp(program: Buffer, probe: SyscallProbe): number {
  let acc = 0;
  const count = program.length / 8;
  for (let pc = 0; pc < count; ) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    switch (code) {
      case BPF_LD_W_ABS:
        acc = k === OFFSET_NR ? probe.nr >>> 0 : k === OFFSET_ARCH ? probe.arch >>> 0 : k === OFFSET_ARG0_LOW ? probe.arg0 >>> 0 : Number.NaN;
        if (Number.isNaN(acc)) throw new Error(`load of offset ${k} not modelled`);
        pc++;
        break;
      case BPF_JMP_JEQ_K:
        pc += 1 + (acc === k ? jt : jf);
        break;
      case BPF_JMP_JGE_K:
        pc += 1 + (acc >= k ? jt : jf);
        break;
      case BPF_JMP_JSET_K:
        pc += 1 + ((acc & k) >>> 0 !== 0 ? jt : jf);
        break;
      case BPF_RET_K:
        return k;
      default:
        throw new Error(`opcode ${code} not modelled`);
    }
  }
  throw new Error('program fell off its end');
}
