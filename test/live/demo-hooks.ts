// The demo with its test hooks, for test/live/demo.test.ts:
//   node dist/test/live/demo-hooks.js failAfter=echo | holdAfter=wire
// (the shipped entry, dist/src/demo/main.js, has none).

import { runDemo, type DemoHooks, type Step } from '../../src/demo/run.js';

const hooks: DemoHooks = {};
for (const arg of process.argv.slice(2)) {
  const [key, step] = arg.split('=');
  if (key === 'failAfter' || key === 'holdAfter') hooks[key] = step as Step;
  else throw new Error(`demo-hooks: unknown argument ${arg}`);
}
runDemo(hooks).then((code) => {
  process.exitCode = code;
});
