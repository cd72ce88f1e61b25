// `prepare` (run by npm install here, and by npm install / npm ci in a project that depends on this
// package with `file:`, e.g. web/): builds dist/. A `file:` dependency gets no node_modules of its
// own from the depending project's install, so first install this package's locked dependencies
// (the compiler among them) when they are missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (args) => execFileSync(npm, args, { cwd: root, stdio: 'inherit' });

if (!existsSync(join(root, 'node_modules/typescript/bin/tsc')) || !existsSync(join(root, 'node_modules/openapi-fetch'))) {
  run(['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error']);
}
run(['run', '--silent', 'build']);
