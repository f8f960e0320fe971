// The README's speed table from the shared harness's results: vethcon beside
// Go's netlink, ip-batch and the C floor of the SAME run, with vethcon's
// ratio to the floor (the machine is shared and noisy, so only figures of
// one run are compared with each other). One column group per run.
//
//   node dist/bench/peer/table.js RUN/results.tsv [RUN2/results.tsv ...]
//
// Each cell is the run's median (the harness's `median` column).

import { readFileSync } from 'node:fs';

type Rows = Map<string, number>; // "workload peer metric" -> median

function load(path: string): Rows {
  const rows: Rows = new Map();
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const col = head.split('\t');
  const at = (name: string): number => {
    const i = col.indexOf(name);
    if (i < 0) throw new Error(`${path}: no column ${name}`);
    return i;
  };
  const [w, p, m, med] = ['workload', 'peer', 'metric', 'median'].map(at);
  for (const line of lines) {
    const f = line.split('\t');
    rows.set(`${f[w]} ${f[p]} ${f[m]}`, Number(f[med]));
  }
  return rows;
}

const fmt = (v: number | undefined): string => {
  if (v === undefined || !Number.isFinite(v)) return '–';
  if (v >= 1000) return Math.round(v).toLocaleString('en-US');
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toPrecision(2);
};
const ratio = (a: number | undefined, b: number | undefined): string => (a && b ? `${(a / b).toFixed(2)}×` : '–');

interface Line { label: string; cells: (r: Rows) => string[] }
const get = (r: Rows, k: string): number | undefined => r.get(k);

const LINES: Line[] = [
  {
    label: 'getlink round trip, µs (vethcon / Go; / C)',
    cells: (r) => {
      const [v, g, c] = ['vethcon', 'go-netlink', 'c-raw'].map((p) => get(r, `F ${p} getlink_lo`));
      return [fmt(v), fmt(g), '–', fmt(c), `${ratio(v, g)}; ${ratio(v, c)}`];
    },
  },
  {
    label: 'W1 500 veth pairs, pairs/s (vethcon / max(C, ip-batch))',
    cells: (r) => {
      const [v, g, b, c] = ['vethcon', 'go-netlink', 'ip-batch', 'c-raw'].map((p) => get(r, `W1 ${p} pairs_per_s`));
      return [fmt(v), fmt(g), fmt(b), fmt(c), ratio(v, Math.max(b ?? 0, c ?? 0) || undefined)];
    },
  },
  {
    label: 'W2 10,001-link dump, ms',
    cells: (r) => {
      const [v, g, c] = ['vethcon', 'go-netlink', 'c-raw'].map((p) => get(r, `W2 ${p} dump_ms`));
      return [fmt(v), fmt(g), '–', fmt(c), ratio(v, c)];
    },
  },
  {
    label: 'W3 100,002-route dump, ms (vethcon peak RSS)',
    cells: (r) => {
      const [v, g, c] = ['vethcon', 'go-netlink', 'c-raw'].map((p) => get(r, `W3 ${p} dump_ms`));
      const rss = get(r, 'W3 vethcon peak_rss');
      return [`${fmt(v)} (${rss ? Math.round(rss / 1024) : '–'} MiB)`, fmt(g), '–', fmt(c), ratio(v, c)];
    },
  },
  {
    label: 'W4 addr churn, ops/s (C: one at a time, 64 per send)',
    cells: (r) => {
      const [v, g, b, c, c64] = ['vethcon', 'go-netlink', 'ip-batch', 'c-raw', 'c-raw-batch64'].map((p) => get(r, `W4 ${p} ops_per_s`));
      return [fmt(v), fmt(g), fmt(b), `${fmt(c)} (${fmt(c64)})`, ratio(v, c)];
    },
  },
  {
    label: 'W5 seed scenario, ms (vethcon − `node -e 0`)',
    cells: (r) => {
      const [v, g, b, c] = ['vethcon', 'go-netlink', 'ip-batch', 'c-raw'].map((p) => get(r, `W5 ${p} wall_ms`));
      const node = get(r, 'F node-e0 wall_ms');
      return [`${fmt(v)} (node -e 0: ${fmt(node)})`, fmt(g), fmt(b), fmt(c), v && node ? `+${fmt(v - node)} ms` : '–'];
    },
  },
];

const paths = process.argv.slice(2);
if (paths.length === 0) {
  process.stderr.write('usage: table.js RUN/results.tsv [RUN2/results.tsv ...]\n');
  process.exit(2);
}
paths.forEach((path, i) => {
  const r = load(path);
  if (paths.length > 1) process.stdout.write(`${i ? '\n' : ''}run ${i + 1}: ${path}\n\n`);
  process.stdout.write('| workload | vethcon | Go netlink | ip-batch | C floor | vethcon / C |\n|---|---:|---:|---:|---:|---:|\n');
  for (const line of LINES) process.stdout.write(`| ${line.label} | ${line.cells(r).join(' | ')} |\n`);
});
