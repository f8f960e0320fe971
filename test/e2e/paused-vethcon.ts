// The vethcon command with a pause between validation and wiring, for the
// fault tests (test/e2e/cli-helpers.ts): VETHCON_TEST_PAUSE_BEFORE_WIRING_MS=N
// node dist/test/e2e/paused-vethcon.js ARGS... It says on stderr when the
// pause starts, so a test knows validation is done. The shipped command
// (dist/vethcon.cjs) has no such hook.

import { runCli } from '../../src/cli/start.js';

const pauseMs = Number(process.env.VETHCON_TEST_PAUSE_BEFORE_WIRING_MS ?? 0);

void runCli(process.argv.slice(2), {
  beforeWiring: (signal) => {
    process.stderr.write(`vethcon: VETHCON_TEST_PAUSE_BEFORE_WIRING_MS: validated; pausing ${pauseMs} ms before wiring\n`);
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, pauseMs);
      signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
  },
});
