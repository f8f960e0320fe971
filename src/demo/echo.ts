// The demo's proof of traffic: TCP sockets made inside the two namespaces by
// the namespace worker (src/ns), adopted by node:net here, and a random
// payload echoed across the veth pair. Each socket's namespace is asked of
// the kernel (SIOCGSKNS), not assumed.

import { statSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { namedNetnsPath, sameNetns, socketNetns, type NsIdentity } from '../ns/index.js';

const CONNECT_TIMEOUT_MS = 3000;
const ECHO_TIMEOUT_MS = 5000;

function namedNetns(name: string): NsIdentity {
  const stat = statSync(namedNetnsPath(name));
  return { dev: stat.dev, ino: stat.ino };
}

/** Throws unless socket `fd` lives in netns `name`; says where it lives otherwise. */
export function assertSocketIn(fd: number, name: string, others: Record<string, string>): void {
  const actual = socketNetns(fd);
  if (sameNetns(actual, namedNetns(name))) return;
  const where = Object.entries(others).find(([, other]) => sameNetns(actual, namedNetns(other)));
  throw new Error(`the socket is not in netns ${name} but in ${where ? `netns ${where[1]}` : `netns inode ${actual.ino}`}`);
}

/**
 * An echo server on an unbound TCP socket: listen() binds it to a port the
 * kernel picks, on every address of the namespace the socket was made in.
 */
export function listenIn(fd: number, connections: Set<net.Socket>): Promise<net.Server> {
  const server = net.createServer((connection) => {
    connections.add(connection);
    connection.on('close', () => connections.delete(connection));
    connection.on('error', () => {}); // the client's side reports what matters
    connection.pipe(connection); // echo
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Connect an unbound TCP socket to address:port, at most CONNECT_TIMEOUT_MS; `adopted` gets the socket at once (to close it on failure). */
export function connectFrom(fd: number, address: string, port: number, adopted: (s: net.Socket) => void): Promise<net.Socket> {
  const client = new net.Socket({ fd, readable: true, writable: true });
  adopted(client);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`connect to ${address}:${port}: no answer in ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    client.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`connect to ${address}:${port}: ${error.message}`));
    });
    client.connect(port, address, () => {
      clearTimeout(timer);
      client.removeAllListeners('error');
      client.on('error', () => {}); // surfaced by the echo
      resolve(client);
    });
  });
}

/** Sends `payload` and resolves with the round-trip time once all of it came back identical. */
export function echoRoundTrip(client: net.Socket, payload: Buffer, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let started = 0;
    const timer = setTimeout(() => finish(new Error(`no full echo within ${ECHO_TIMEOUT_MS} ms (${received} of ${payload.length} bytes back)`)), ECHO_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= payload.length) finish(null);
    };
    const onEnd = (): void => finish(new Error(`the connection closed after ${received} of ${payload.length} bytes came back`));
    const onError = (error: Error): void => finish(error);
    const onAbort = (): void => finish(signal.reason as Error);
    function finish(error: Error | null): void {
      const elapsed = performance.now() - started;
      clearTimeout(timer);
      client.off('data', onData).off('end', onEnd).off('error', onError);
      signal.removeEventListener('abort', onAbort);
      if (error) return reject(error);
      const back = Buffer.concat(chunks);
      if (back.length !== payload.length) return reject(new Error(`sent ${payload.length} bytes, ${back.length} came back`));
      if (!back.equals(payload)) {
        const at = back.findIndex((byte, i) => byte !== payload[i]);
        return reject(new Error(`the echo differs from what was sent, first at byte ${at}`));
      }
      resolve(elapsed);
    }
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    client.on('data', onData).on('end', onEnd).on('error', onError);
    started = performance.now();
    client.write(payload);
  });
}

export function waitForAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

