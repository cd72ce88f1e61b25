// Fails when src/api/schema.d.ts is not what openapi-typescript generates from
// ../openapi/openapi.json today: regenerate into a temporary directory and compare.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'confab-gen-'));
try {
  const out = join(dir, 'schema.d.ts');
  execFileSync('npx', ['openapi-typescript', '../openapi/openapi.json', '-o', out], { stdio: ['ignore', 'ignore', 'inherit'] });
  const fresh = readFileSync(out, 'utf8');
  const committed = readFileSync('src/api/schema.d.ts', 'utf8');
  if (fresh !== committed) {
    console.error('web/src/api/schema.d.ts is stale: run `npm run gen` in web/ and commit the result');
    console.log('test result: FAILED. 0 passed; 1 failed; 0 ignored (client drift)');
    process.exit(1);
  }
  console.log('test result: ok. 1 passed; 0 failed; 0 ignored (client drift)');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
