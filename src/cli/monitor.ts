// `vethcon monitor [-n NETNS]... [-p PID]... [--json]`: print link and address
// events as they happen, one line each (or one JSON object per line), until
// Ctrl-C. It changes nothing, so being stopped is its normal end: exit 0.

import type { Command } from './args.js';
import type { NamespaceThreads } from '../ns/index.js';

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export async function runMonitor(cmd: Extract<Command, { action: 'monitor' }>, options: { threads?: NamespaceThreads; close: boolean }): Promise<number> {
  const { Vethcon } = await import('../api/client.js');
  const { describeEvent } = await import('../api/monitor-events.js');
  const client = new Vethcon({ threads: options.threads });
  const controller = new AbortController();
  // The first signal stops it (the loop below ends, exit 0); a second one, should that hang, exits at once.
  const stop = (): void => {
    if (controller.signal.aborted) process.exit(0);
    controller.abort();
  };
  // Output gone (`vethcon monitor | head -1`): nothing left to do.
  const outputGone = (): void => controller.abort();
  for (const sig of STOP_SIGNALS) process.on(sig, stop);
  process.stdout.on('error', outputGone);
  try {
    const monitor = client.monitor({ netns: cmd.netns.length > 0 ? cmd.netns : undefined, signal: controller.signal });
    await monitor.ready;
    if (!controller.signal.aborted) process.stderr.write(`vethcon: monitoring ${monitor.namespaces.join(', ')} (Ctrl-C to stop)\n`);
    for await (const event of monitor) {
      process.stdout.write(`${cmd.json ? JSON.stringify(event) : describeEvent(event)}\n`);
    }
    return 0;
  } finally {
    for (const sig of STOP_SIGNALS) process.off(sig, stop);
    process.stdout.off('error', outputGone);
    if (options.close) await client.close();
  }
}
