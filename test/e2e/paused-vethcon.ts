// The vethcon command with pauses, for the fault tests (test/e2e/cli-helpers.ts):
//   VETHCON_TEST_PAUSE_BEFORE_WIRING_MS=N  between validation and wiring;
//   VETHCON_TEST_PAUSE_AFTER_CREATE_MS=N   once the pair exists (marked pending), before it is configured.
// node dist/test/e2e/paused-vethcon.js ARGS... It says on stderr when a
// pause starts, so a test knows where it is. The shipped command
// (dist/vethcon.cjs) has no such hook.

import { runCli } from '../../src/cli/start.js';

/** A pause of `ms`, announced on stderr as `name`, cut short by an abort. */
function pause(name: string, what: string, ms: number) {
  return (signal?: AbortSignal): Promise<void> => {
    process.stderr.write(`vethcon: ${name}: ${what}; pausing ${ms} ms\n`);
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
  };
}

const before = Number(process.env.VETHCON_TEST_PAUSE_BEFORE_WIRING_MS ?? 0);
const after = Number(process.env.VETHCON_TEST_PAUSE_AFTER_CREATE_MS ?? 0);

void runCli(process.argv.slice(2), {
  beforeWiring: before ? pause('VETHCON_TEST_PAUSE_BEFORE_WIRING_MS', 'validated', before) : undefined,
  afterCreate: after ? pause('VETHCON_TEST_PAUSE_AFTER_CREATE_MS', 'pair created', after) : undefined,
});
