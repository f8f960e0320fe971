// A fresh process that streams a namespace's routes (routes.each) while
// measuring event-loop stalls, and prints the result as JSON. Run by
// event-loop.test.ts: `node event-loop-probe.js NETNS`.
import { open } from '../../src/index.js';
import { measuredDump, collectGarbage, diagnose } from './event-loop-measure.js';

const netns = process.argv[2];
const vc = open();
try {
  // Warm up through the same code path (V8 compiles the decoders), then measure from a collected heap.
  for (let i = 0; i < 3; i++) await measuredDump(vc, netns, true);
  collectGarbage();
  const m = await measuredDump(vc, netns, true);
  process.stdout.write(JSON.stringify({ count: m.routes.length, ms: m.ms, maxDelay: m.maxDelay, diagnosis: diagnose(m) }) + '\n');
} finally {
  await vc.close();
}
