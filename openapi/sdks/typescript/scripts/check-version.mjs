// Fails unless package.json's version is the spec's info.version (`npm run gen` sets it).
import { readFileSync } from 'node:fs';

const spec = JSON.parse(readFileSync(new URL('../../../openapi.json', import.meta.url), 'utf8'));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
if (pkg.version !== spec.info.version) {
  console.error(`package.json version ${pkg.version} is not the spec's info.version ${spec.info.version}: run npm run gen`);
  process.exit(1);
}
console.log(`version ${pkg.version} matches the spec`);
