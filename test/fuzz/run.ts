// `npm run fuzz`: a longer fuzz run with a random seed (or FUZZ_SEED), printing the seed.
import { fuzz } from './fuzz.js';

const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 0xffffffff));
const cases = Number(process.env.FUZZ_CASES ?? 2_000_000);
console.log(`fuzz seed ${seed}, ${cases} cases (reproduce with FUZZ_SEED=${seed})`);
const t0 = performance.now();
const r = fuzz(seed, cases);
console.log(`decoded ${r.decoded}, rejected with DecodeError ${r.rejected}, other errors ${r.failures.length} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
for (const f of r.failures) console.log(`FAIL input ${f.input}\n${f.error}`);
process.exit(r.failures.length ? 1 : 0);
