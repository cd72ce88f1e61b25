// Prints the gzip size of every built chunk and of what the first page loads (the entry and its
// static imports, with their CSS), and fails when that is over the budget: views and uPlot are
// lazy chunks, loaded when shown.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 150;
const dist = new URL('../dist/', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8'));
const gz = (file) => gzipSync(readFileSync(join(dist, file))).length;
const kb = (n) => `${(n / 1024).toFixed(1)} kB`;

const initial = new Set();
const visit = (key) => {
  const chunk = manifest[key];
  if (!chunk || initial.has(chunk.file)) return;
  initial.add(chunk.file);
  for (const css of chunk.css ?? []) initial.add(css);
  for (const dep of chunk.imports ?? []) visit(dep);
};
visit('index.html');

const rows = Object.values(manifest)
  .flatMap((c) => [c.file, ...(c.css ?? [])])
  .filter((f, i, all) => all.indexOf(f) === i)
  .map((f) => ({ f, size: gz(f) }))
  .sort((a, b) => b.size - a.size);
console.log('\nadmin bundle (gzip):');
for (const { f, size } of rows) console.log(`  ${initial.has(f) ? '*' : ' '} ${kb(size).padStart(9)}  ${f}`);
const total = [...initial].filter((f) => f.endsWith('.js')).reduce((n, f) => n + gz(f), 0);
const css = [...initial].filter((f) => f.endsWith('.css')).reduce((n, f) => n + gz(f), 0);
console.log(`initial load (*): ${kb(total)} JS + ${kb(css)} CSS gzip (budget ${BUDGET_KB} kB JS)`);
if (total > BUDGET_KB * 1024) {
  console.error(`the initial JavaScript is over budget: ${kb(total)} > ${BUDGET_KB} kB`);
  process.exit(1);
}
