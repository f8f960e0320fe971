// Container start events from the engine (`docker events`), for a lab
// that re-wires a container when it restarts. The engine's stream is read
// line by line, each line capped (an event is well under 64 KiB), and
// followed again after a lost connection, until the caller stops it.

import type Docker from 'dockerode';

export interface ContainerStart {
  id: string;
  name: string;
}

const MAX_LINE = 64 * 1024;
const RETRY_MS = 500;

/** Call `onStart` for each container that starts, until `signal` is aborted; `onProblem` hears of a lost engine. */
export async function followContainerStarts(onStart: (c: ContainerStart) => void, signal: AbortSignal, onProblem?: (why: string) => void, docker?: Docker): Promise<void> {
  if (docker === undefined) {
    const { default: Dockerode } = await import('dockerode');
    docker = new Dockerode();
  }
  while (!signal.aborted) {
    try {
      const stream = await docker.getEvents({ filters: { type: ['container'], event: ['start'] }, abortSignal: signal } as Docker.GetEventsOptions) as NodeJS.ReadableStream;
      await new Promise<void>((resolve, reject) => {
        let pending = '';
        const stop = (): void => { (stream as unknown as { destroy?: () => void }).destroy?.(); resolve(); };
        signal.addEventListener('abort', stop, { once: true });
        stream.on('data', (chunk: Buffer) => {
          pending += chunk.toString('utf8');
          if (pending.length > MAX_LINE && !pending.includes('\n')) { pending = ''; return; }
          let nl;
          while ((nl = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, nl);
            pending = pending.slice(nl + 1);
            try {
              const e = JSON.parse(line) as { id?: unknown; Actor?: { ID?: unknown; Attributes?: { name?: unknown } } };
              const id = typeof e.Actor?.ID === 'string' ? e.Actor.ID : typeof e.id === 'string' ? e.id : '';
              const name = typeof e.Actor?.Attributes?.name === 'string' ? e.Actor.Attributes.name : '';
              if (id) onStart({ id, name });
            } catch { /* not an event: skipped */ }
          }
        });
        stream.on('end', () => { signal.removeEventListener('abort', stop); resolve(); });
        stream.on('error', (e: Error) => { signal.removeEventListener('abort', stop); reject(e); });
      });
    } catch (e) {
      if (signal.aborted) return;
      onProblem?.(`the Docker engine's events stopped (${(e as Error).message}); following again`);
    }
    if (!signal.aborted) await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}
