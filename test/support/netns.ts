/**
 * Test hosts in network namespaces: `createNetnsHost()` creates a namespace joined to this
 * one by a veth pair (IPv4 /30 and IPv6 ULA /64 on each end) and starts a connection-counting
 * HTTP server inside it (counting-server.ts). Needs root (ip netns). `close()` removes the
 * namespace, the veth pair and the server.
 */
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('./counting-server.ts', import.meta.url));

export interface NetnsHost {
  name: string;
  /** Address of the host end inside the namespace. */
  v4: string;
  v6: string;
  /** Subnet of the pair, e.g. `10.201.7.0/30`. */
  v4Subnet: string;
  ports: number[];
  /** Connections the namespace's server has accepted so far, by port. */
  connections(): Promise<Record<string, number>>;
  close(): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/** Whether this machine lets the test create network namespaces (root, iproute2, kernel support). */
export function netnsAvailable(): boolean {
  const probe = `airlock-probe-${process.pid}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return true;
  } catch {
    return false;
  }
}

export async function createNetnsHost(index: number, ports: number[]): Promise<NetnsHost> {
  const tag = `${process.pid % 100_000}${index}`;
  const name = `airlock-eg-${tag}`;
  const hostIf = `aeh${tag}`.slice(0, 15);
  const nsIf = `aen${tag}`.slice(0, 15);
  const second = 100 + ((process.pid >> 8) % 100);
  const third = ((process.pid % 60) * 4 + index) % 250;
  const v4Host = `10.${second}.${third}.1`;
  const v4 = `10.${second}.${third}.2`;
  const v6Host = `fd77:${second.toString(16)}:${third.toString(16)}::1`;
  const v6 = `fd77:${second.toString(16)}:${third.toString(16)}::2`;
  const cleanup = () => {
    try {
      ip('link', 'del', hostIf);
    } catch {
      // already gone with the namespace
    }
    try {
      ip('netns', 'del', name);
    } catch {
      // not created
    }
  };
  cleanup();
  ip('netns', 'add', name);
  // A run that dies before close() (a timeout, a crash) still removes its namespace.
  process.once('exit', cleanup);
  let server: ChildProcessWithoutNullStreams | undefined;
  try {
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    ip('link', 'set', nsIf, 'netns', name);
    ip('addr', 'add', `${v4Host}/30`, 'dev', hostIf);
    ip('-6', 'addr', 'add', `${v6Host}/64`, 'dev', hostIf, 'nodad');
    ip('link', 'set', hostIf, 'up');
    ip('-n', name, 'addr', 'add', `${v4}/30`, 'dev', nsIf);
    ip('-n', name, '-6', 'addr', 'add', `${v6}/64`, 'dev', nsIf, 'nodad');
    ip('-n', name, 'link', 'set', nsIf, 'up');
    ip('-n', name, 'link', 'set', 'lo', 'up');
    server = spawn('ip', ['netns', 'exec', name, process.execPath, SERVER, ports.join(','), v4, v6]);
    const lines = createInterface({ input: server.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.value !== 'ready') throw new Error(`namespace server did not start: ${String(first.value)}`);
    const running = server;
    const connections = async (): Promise<Record<string, number>> => {
      running.stdin.write('count\n');
      const line = await lines.next();
      return JSON.parse(String(line.value)) as Record<string, number>;
    };
    return {
      name,
      v4,
      v6,
      v4Subnet: `10.${second}.${third}.0/30`,
      ports,
      connections,
      close() {
        running.kill();
        cleanup();
      },
    };
  } catch (error) {
    server?.kill();
    cleanup();
    throw error;
  }
}
