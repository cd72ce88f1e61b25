// @vitest-environment node
// Every request goes through the generated client (src/api/): typed, with the session's CSRF token,
// idempotency keys and the 401 handling. This fails when code elsewhere calls fetch itself.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('.', import.meta.url));
const ALLOWED = 'api/';
/** A call of the global fetch (`fetch(`, `window.fetch (`, …), not `refetch(` or `route.fetchQuery(`. */
const DIRECT_FETCH = new RegExp(String.raw`(?<![\w$])(?:(?:window|globalThis|self)\s*\.\s*)?fetch\s*\(`);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|tsx|js|jsx|mjs)$/.test(entry.name) ? [path] : [];
  });
}

/** The source without its comments (a comment may mention fetch; it does not call it). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

function callsFetch(text: string): boolean {
  return DIRECT_FETCH.test(code(text));
}

describe('requests', () => {
  it('go through src/api/: no other file calls fetch directly', () => {
    const offenders = sources(SRC)
      .map((path) => relative(SRC, path).split('\\').join('/'))
      .filter((path) => !path.startsWith(ALLOWED))
      .filter((path) => callsFetch(readFileSync(join(SRC, path), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('the check finds a direct call and lets the query hooks be', () => {
    const call = ['await ', 'fetch', "('/v1/me')"].join('');
    expect(callsFetch(call)).toBe(true);
    expect(callsFetch(`const r = await window.${call.slice(6)}`)).toBe(true);
    expect(callsFetch('void list.refetch(); client.fetchQuery(options); const fetched = 1;')).toBe(false);
    expect(callsFetch(`// we never ${call}`)).toBe(false);
  });
});
