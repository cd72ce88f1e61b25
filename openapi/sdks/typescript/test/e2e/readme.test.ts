// Runs README.md's ```ts examples against the real server (CONFAB_URL, CONFAB_TOKEN), after
// compiling them against the built package: `import … from '@confab/client'` resolves to dist/.
// Blocks fenced ```ts no-run (the browser example) are only compiled.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

const root = join(import.meta.dirname, '../../..');
const dir = join(root, '.readme');
const out = join(root, '.readme/build');
const blocks = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/^```ts( no-run)?\n([\s\S]*?)^```$/gm)].map((m, i) => ({
  name: `example-${i + 1}`,
  run: !m[1],
  code: m[2] ?? '',
  title: (m[2] ?? '').split('\n').find((l) => l.startsWith('//')) ?? '',
}));

describe('README examples', () => {
  before(() => {
    assert.ok(blocks.filter((b) => b.run).length >= 3, 'README.md has runnable ```ts examples');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const b of blocks) writeFileSync(join(dir, `${b.name}.ts`), `${b.code}\nexport {};\n`);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: '../tsconfig.json',
        compilerOptions: { rootDir: '.', outDir: 'build', types: ['node'], declaration: false, declarationMap: false, sourceMap: false },
        include: ['*.ts'],
      }),
    );
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json')], { stdio: 'inherit' });
  });

  for (const b of blocks.filter((x) => x.run)) {
    it(`${b.name} runs`, () => {
      assert.ok(process.env.CONFAB_URL && process.env.CONFAB_TOKEN, 'CONFAB_URL and CONFAB_TOKEN are set');
      const result = spawnSync(process.execPath, [join(out, `${b.name}.js`)], { encoding: 'utf8', timeout: 60_000 });
      if (result.stdout.trim()) console.log(result.stdout.trimEnd().replace(/^/gm, `  ${b.name}: `));
      assert.equal(result.status, 0, `${b.name} failed:\n${result.stderr}`);
    });
  }
});
