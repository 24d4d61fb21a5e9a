/**
 * The Host header of a request, read once for the doors that care about DNS rebinding (the
 * /mcp door's allowed hosts, the loopback-only /metrics scrape): its host name, lowercased,
 * without the port (IPv6 literals keep their brackets).
 */

/** `Example.COM:8787` -> `example.com`; `[::1]:8787` -> `[::1]`. */
export function hostnameOf(host: string): string {
  const trimmed = host.trim().toLowerCase();
  if (trimmed.startsWith('[')) return trimmed.slice(0, trimmed.indexOf(']') + 1);
  return trimmed.replace(/:\d+$/, '');
}

/**
 * Whether a request's Host header names something other than this machine's loopback interface
 * (`localhost`, `127.0.0.0/8`, `[::1]`). A page of another site that rebinds its own name to
 * 127.0.0.1 reaches a loopback listener from a loopback address, but its requests carry that
 * site's name as Host: a loopback peer alone does not make a loopback caller. No Host header at
 * all (HTTP/1.0, an in-process call) is not a browser's request and is not suspect.
 */
export function namesOtherHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = hostnameOf(host);
  return !(name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name));
}
