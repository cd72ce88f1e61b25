// @vitest-environment node
// Every call goes through the generated client (api/client.ts); no component fetches by hand,
// builds XMLHttpRequests or sets HTML.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('.', import.meta.url).pathname;
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) ? [p] : [];
  });
}

describe('the console talks to Confab only through @confab/client', () => {
  const files = sources(root).map((p) => ({ path: relative(root, p), text: readFileSync(p, 'utf8') }));

  it('finds the sources', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each([
    ['fetch(', /\bfetch\s*\(/],
    ['XMLHttpRequest', /XMLHttpRequest/],
    ['axios', /axios/],
    ['dangerouslySetInnerHTML', /dangerouslySetInnerHTML/],
    ['innerHTML', /\.innerHTML\b/],
  ])('no source uses %s', (_what, pattern) => {
    const offenders = files.filter((f) => pattern.test(f.text.replace(/\/\/.*$/gm, ''))).map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('every component gets its hooks from the one client module', () => {
    const direct = files.filter((f) => f.path !== 'api/client.ts' && /from ['"](openapi-fetch|openapi-react-query)['"]/.test(f.text)).map((f) => f.path);
    expect(direct).toEqual([]);
  });
});
