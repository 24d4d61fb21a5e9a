/**
 * A TCP-counting HTTP server run as its own process (inside a test network namespace):
 * `node counting-server.ts <port,port...> <host>...`. It counts every accepted connection per
 * port, answers every request with 200 JSON, prints `ready` once listening, and
 * `{"<port>":n,...}` for each `count` line read on stdin.
 */
import { createServer } from 'node:http';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const [portList, ...hosts] = process.argv.slice(2);
const counts: Record<string, number> = {};
const servers = [];
for (const port of (portList ?? '').split(',')) for (const host of hosts) {
  counts[port] = 0;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"reached":true}');
  });
  server.on('connection', () => {
    counts[port] = (counts[port] ?? 0) + 1;
  });
  server.listen({ port: Number(port), host, ipv6Only: host.includes(':') });
  await once(server, 'listening');
  servers.push(server);
}
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === 'count') process.stdout.write(`${JSON.stringify(counts)}\n`);
}
for (const server of servers) server.close();
