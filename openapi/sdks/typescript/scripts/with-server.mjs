// `node scripts/with-server.mjs COMMAND [ARGS…]`: starts confab-sdk-e2e-server (a scripted upstream
// and a real confab on SQLite, seeded with users and API tokens), runs COMMAND with
//   CONFAB_E2E    the server's seed line (JSON: base, models, admin, member, quota_user, other_tenant)
//   CONFAB_URL    its base URL
//   CONFAB_TOKEN  the member's API token
// then stops the server (by closing its standard input) and exits with COMMAND's status.
// SDK_E2E_SERVER_BIN names the server (default: the debug build in CARGO_TARGET_DIR or
// ~/.cache/confab-target); CONFAB_BIN, the confab binary it runs.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node scripts/with-server.mjs COMMAND [ARGS…]');
  process.exit(2);
}
const target = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME ?? '', '.cache/confab-target');
const bin = process.env.SDK_E2E_SERVER_BIN ?? join(target, 'debug/confab-sdk-e2e-server');

const server = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
let exited = false;
const seedLine = await new Promise((resolve, reject) => {
  let buffer = '';
  server.on('error', (e) => reject(new Error(`cannot start ${bin}: ${e.message}`)));
  server.on('exit', (code) => {
    exited = true;
    reject(new Error(`${bin} exited (${code}) before printing its seed line`));
  });
  server.stdout.on('data', (d) => {
    buffer += d;
    const nl = buffer.indexOf('\n');
    if (nl >= 0) resolve(buffer.slice(0, nl));
  });
  setTimeout(() => reject(new Error(`${bin} printed no seed line in 120 s`)), 120_000).unref();
}).catch((e) => {
  console.error(`with-server: ${e.message}`);
  if (!exited) server.kill();
  process.exit(1);
});
server.stdout.resume();
const seed = JSON.parse(seedLine);

const child = spawn(command, args, {
  stdio: 'inherit',
  env: { ...process.env, CONFAB_E2E: seedLine, CONFAB_URL: seed.base, CONFAB_TOKEN: seed.member.token },
});
const status = await new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));

// Closing its standard input stops the server; make sure it is gone before exiting.
const gone = new Promise((resolve) => (exited ? resolve() : server.on('exit', resolve)));
server.stdin.end();
const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
await gone;
clearTimeout(timer);
process.exit(status);
