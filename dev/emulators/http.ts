import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Small node:http helpers shared by the emulators (no framework: they must keep up with benchmarks). */

export class BodyTooLarge extends Error {}

export function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) { over = true; chunks.length = 0; return; }
      chunks.push(c);
    });
    req.on('end', () => (over ? reject(new BodyTooLarge()) : resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string | number> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendEmpty(res: http.ServerResponse, status: number, headers: Record<string, string | number> = {}): void {
  res.writeHead(status, { 'Content-Length': 0, ...headers });
  res.end();
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A slow reply's wait: unref'd, so a test that closes the emulator is not held open by it. */
export const slowWait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export async function listen(server: http.Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address() as AddressInfo;
  return `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/**
 * A bounded store of what an emulator accepted: full records for the last `keep` items (a ring),
 * compact records for all of them (`compact` mode), or only counts (`count` mode). `full` keeps
 * everything in full (small tests only).
 */
export type LedgerMode = 'full' | 'compact' | 'count';

export class Ring<T> {
  private items: (T | undefined)[];
  private next = 0;
  private size = 0;
  constructor(private readonly capacity: number) {
    this.items = new Array(Math.max(0, capacity));
  }
  push(item: T): void {
    if (this.capacity <= 0) return;
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }
  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    const start = (this.next - this.size + this.capacity) % Math.max(1, this.capacity);
    for (let i = 0; i < this.size; i++) out.push(this.items[(start + i) % this.capacity] as T);
    return out;
  }
  clear(): void {
    this.items = new Array(Math.max(0, this.capacity));
    this.next = 0;
    this.size = 0;
  }
}

/** Keep-alive agent for the emulators' own webhook/callback POSTs. */
export function callbackAgent(maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets });
}

export interface PostResult { status: number; body: string }

export function postRaw(url: string, body: string | Buffer, headers: Record<string, string>, agent?: http.Agent, timeoutMs = 30_000): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    if (u.protocol !== 'http:') { reject(new Error(`emulator callbacks go to http:// loopback URLs only, not ${u.protocol}`)); return; }
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    const req = http.request({ hostname: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: 'POST', agent,
      headers: { ...headers, 'Content-Length': buf.length }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(buf);
  });
}

export function cpuMs(): number {
  const u = process.cpuUsage();
  return Math.round((u.user + u.system) / 1000);
}
