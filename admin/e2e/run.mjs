// End-to-end tests of the admin console in headless Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core) against the real `confab` binary, started with the built console and web
// chat by the Rust tool `confab-web-e2e-server`. Prints one cargo-style `test result:` line.
//
//   npm run e2e          (after `npm run build` here and in ../web, and
//                         `cargo build -p confab-server -p confab-tests`)
//   E2E_ONLY=audit npm run e2e     runs the tests whose name contains "audit"
//   E2E_SERVER_BIN=…               the e2e server binary (default: $CARGO_TARGET_DIR/debug/…)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const TARGET = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME ?? '', '.cache/confab-target');
const SERVER_BIN = process.env.E2E_SERVER_BIN ?? join(TARGET, 'debug/confab-web-e2e-server');
const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
const HERE = new URL('..', import.meta.url).pathname;
const OUT = join(HERE, 'e2e-output');
const WEB_DIR = process.env.E2E_WEB_DIR ?? join(HERE, '../web/dist');
const PLUGINS_DIR = process.env.E2E_PLUGINS_DIR ?? join(HERE, '../plugins/dist');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
mkdirSync(OUT, { recursive: true });
for (const f of readdirSync(OUT)) if (f.startsWith('FAILED-')) rmSync(join(OUT, f));

// ---- the real server -------------------------------------------------------------------------
// The console on its own listener (`admin_base`), the web chat on the main one (`base`), which
// also mounts the console at /admin/.
const serverArgs = ['--admin-dir', join(HERE, 'dist'), '--web-dir', WEB_DIR];
const server = spawn(SERVER_BIN, serverArgs, { stdio: ['pipe', 'pipe', 'inherit'] });
const seed = await new Promise((resolve, reject) => {
  let buffer = '';
  server.on('exit', (code) => reject(new Error(`confab-web-e2e-server exited (${code})`)));
  server.stdout.on('data', (d) => {
    buffer += d;
    const nl = buffer.indexOf('\n');
    if (nl >= 0) resolve(JSON.parse(buffer.slice(0, nl)));
  });
});
if (!seed.admin_base) throw new Error('confab-web-e2e-server printed no admin_base: the admin console has no listener');
const ADMIN = seed.admin_base;
const WEB = seed.base;
console.log(`e2e: admin console at ${ADMIN}, web chat at ${WEB}`);

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

// ---- a tiny harness --------------------------------------------------------------------------
const tests = [];
const test = (name, fn) => tests.push({ name, fn });
const skipped = [];
class Failure extends Error {}
function assert(condition, message) {
  if (!condition) throw new Failure(message);
}
async function eventually(what, fn, timeout = 15000) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Failure(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 60));
  }
}

/** A browser context whose pages record what must never happen: dialogs, CSP violations, errors. */
async function newContext(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true, ...options });
  context.setDefaultTimeout(12000);
  const incidents = [];
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample ?? ''}`));
  });
  context.on('page', (page) => watch(page, incidents));
  const page = await context.newPage();
  return { context, page, incidents };
}
function watch(page, incidents) {
  page.on('dialog', (d) => {
    incidents.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('pageerror', (e) => incidents.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) incidents.push(`CSP: ${m.text()}`);
  });
}
async function assertClean(page, incidents) {
  const violations = await page.evaluate(() => window.__violations ?? []);
  const xss = await page.evaluate(() => window.__xss ?? null);
  assert(violations.length === 0, `CSP violations: ${violations.join('; ')}`);
  assert(xss === null, `injected script ran: ${xss}`);
  assert(incidents.length === 0, `incidents: ${incidents.join('; ')}`);
}

// ---- the API, for setting the scene ----------------------------------------------------------
async function apiSession(base, user) {
  const r = await fetch(`${base}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password: user.password }) });
  if (!r.ok) throw new Failure(`API sign-in of ${user.email} at ${base}: ${r.status} ${await r.text()}`);
  const cookie = r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const me = await r.json();
  // A body of bytes (an upload) goes as is; anything else as JSON.
  const call = async (method, path, body, headers = {}) => {
    const raw = body instanceof Uint8Array;
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { cookie, 'x-csrf-token': me.csrf_token ?? '', ...(body === undefined ? {} : { 'content-type': raw ? 'application/octet-stream' : 'application/json' }), ...headers },
      body: body === undefined || raw ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: json ?? text };
  };
  return { me, call };
}
const PASSWORD = 'e2e-password-plenty-42';
let adminApi;
async function admin() {
  adminApi ??= await apiSession(ADMIN, seed.admin);
  return adminApi;
}
let initechApi;
/** The admin of initech, the tenant the e2e server seeds on single sign-on (`seed.sso`). */
async function initechAdmin() {
  initechApi ??= await apiSession(ADMIN, seed.sso.admin);
  return initechApi;
}
/** The request that puts single sign-on back as `view` showed it (a secret the test set is removed). */
function ssoBodyOf(view) {
  const { display_name, issuer, client_id, scopes, allowed_domains, email_claim, name_claim, groups_claim, jit_provisioning, allow_passwords, enabled } = view;
  return { display_name, issuer, client_id, scopes, allowed_domains, email_claim, name_claim, groups_claim, jit_provisioning, allow_passwords, enabled, ...(view.has_client_secret ? {} : { client_secret: '' }) };
}
/** A user of acme with this role, from the seed or made now. */
async function account(role, key) {
  if (seed[key]) return seed[key];
  const email = `${key}-${Date.now()}@acme.example`;
  const { call } = await admin();
  const r = await call('POST', '/v1/users', { email, password: PASSWORD, role, display_name: `E2E ${role}` });
  assert(r.status === 201 || r.status === 200, `creating ${role}: ${r.status} ${JSON.stringify(r.body)}`);
  seed[key] = { email, password: PASSWORD };
  return seed[key];
}
let uploaded = null;
/** Uploads a plugin from plugins/dist through the API (once per name and version). */
async function uploadPlugin(name, change = (m) => m) {
  const manifest = change(JSON.parse(readFileSync(join(PLUGINS_DIR, `${name}.manifest.json`), 'utf8')));
  const wasm = readFileSync(join(PLUGINS_DIR, `${name}-0.1.0.wasm`));
  const { call } = await admin();
  const r = await call('POST', '/v1/plugins', { manifest, component_base64: wasm.toString('base64') });
  assert([200, 201, 409].includes(r.status), `uploading ${manifest.name}: ${r.status} ${JSON.stringify(r.body)}`);
  return manifest;
}

// ---- helpers ---------------------------------------------------------------------------------
async function shot(page, name) {
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: false });
}
async function signIn(page, user = seed.admin, screenshot = null) {
  await page.goto(`${ADMIN}/`);
  await page.getByLabel('E-mail').waitFor();
  if (screenshot) await shot(page, screenshot);
  await page.getByLabel('E-mail').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
async function signInConsole(page, user = seed.admin) {
  await signIn(page, user);
  await page.getByRole('navigation', { name: 'Admin sections' }).waitFor();
}
const nav = (page) => page.getByRole('navigation', { name: 'Admin sections' });
async function open(page, label, title = label) {
  await nav(page).getByRole('link', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
  await page.waitForFunction(() => !document.querySelector('main [aria-busy="true"]'), null, { timeout: 12000 }).catch(() => {});
}
const dialog = (page) => page.locator('dialog[open]').last();
async function confirmDialog(page, button) {
  const d = dialog(page);
  await d.waitFor();
  const text = await d.textContent();
  await d.getByRole('button', { name: button }).click();
  await d.waitFor({ state: 'detached' }).catch(() => {});
  return text;
}

const axeResults = [];
/** Runs axe-core on the page (injected through the DevTools protocol: the CSP allows no inline script). */
async function axe(page, name) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')}${n.any?.[0]?.data?.contrastRatio ? ` (${n.any[0].data.fgColor} on ${n.any[0].data.bgColor}: ${n.any[0].data.contrastRatio})` : ''}`),
    }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  axeResults.push({ name, serious: bad.length, minor: result.length - bad.length, ids: result.map((v) => `${v.id}(${v.impact})`) });
  assert(bad.length === 0, `axe on ${name}: ${bad.map((v) => `${v.id} [${v.impact}] ${v.help} at ${v.nodes.join(', ')}`).join('; ')}`);
}
/** Buttons and button-like links in the content that change something. */
async function writeControls(page) {
  return page.evaluate(() => {
    const words = /^(create|add|set|remove|delete|revoke|disable|enable|save|upload|change|move|configure|edit|new|replace|make|sign out .+@)\b/i;
    return [...document.querySelectorAll('main button, main a.button, dialog button')]
      .map((b) => (b.getAttribute('aria-label') || b.textContent || '').trim())
      .filter((t) => words.test(t));
  });
}

const XSS = '<img src=x onerror=window.__xss=1>"><svg onload=window.__xss=2><script>window.__xss=3</script>';
const XSS_LINK = 'javascript:window.__xss=4';
async function assertNoInjectedMarkup(page) {
  const found = await page.evaluate(() =>
    [...document.querySelectorAll('main img, main svg, main script, main iframe, dialog img, dialog svg, dialog script, dialog iframe, a[href^="javascript:"]')].map((e) => e.outerHTML.slice(0, 80)),
  );
  assert(found.length === 0, `injected markup: ${found.join(' | ')}`);
}

// ---- the tests -------------------------------------------------------------------------------
test('a member gets a clear "no access" page', async ({ page, incidents }) => {
  const member = await account('member', 'member');
  await signIn(page, member);
  await page.getByRole('heading', { name: 'No access' }).waitFor();
  await page.getByText('no access to the admin console').waitFor();
  assert((await page.getByRole('navigation').count()) === 0, 'no navigation for a member');
  await shot(page, 'no-access');
  await axe(page, 'no access');
  await page.getByRole('button', { name: /Back to sign in|Sign out/ }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await assertClean(page, incidents);
});

test('wrong password: a clear message, no way in', async ({ page, incidents }) => {
  await signIn(page, { email: seed.admin.email, password: 'not the password' }, 'sign-in');
  await page.getByRole('alert').filter({ hasText: 'incorrect' }).waitFor();
  await axe(page, 'sign-in');
  await assertClean(page, incidents);
});

test('tenant admin: create a user, give them a budget; they hit it in the web chat; overview and usage show it', async ({ page, incidents }) => {
  await signInConsole(page);
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  const email = `zoe-${Date.now()}@acme.example`;
  await open(page, 'Users');
  await page.getByRole('button', { name: 'Create user' }).click();
  const d = dialog(page);
  await d.getByLabel('E-mail').fill(email);
  await d.getByLabel(/^Name/).fill('Zoe Quota');
  const password = await d.getByLabel('Temporary password').inputValue();
  assert(password.length >= 12, 'a temporary password is proposed');
  await shot(page, 'users-create');
  await d.getByRole('button', { name: 'Create user' }).click();
  await d.waitFor({ state: 'detached' });
  await page.getByRole('searchbox', { name: 'Search' }).fill('zoe-');
  await page.getByRole('cell', { name: /Zoe Quota/ }).waitFor();
  await eventually('the search in the URL', async () => page.url().includes('q=zoe-'));

  // A budget for Zoe: her first answer fits, and leaves too little for another.
  const { call } = await admin();
  const models = (await call('GET', '/v1/models')).body.items;
  const model = models.find((m) => m.id === 'gpt-4o') ?? models[0];
  const limit = model.max_output_tokens + 200;
  await open(page, 'Quotas and usage');
  await page.getByRole('button', { name: 'Set a budget' }).click();
  const b = dialog(page);
  await b.getByLabel('Applies to').selectOption('user');
  await b.getByLabel('User', { exact: true }).fill(email);
  await eventually('the user suggested', async () => (await b.locator('datalist option').count()) > 0);
  await b.getByLabel('User', { exact: true }).blur();
  await b.getByLabel('Period').selectOption('day');
  await b.getByLabel('Tokens').fill(String(limit));
  await b.getByRole('button', { name: 'Save budget' }).click();
  await b.waitFor({ state: 'detached' });
  const budgets = page.getByRole('region', { name: 'Budgets' });
  await budgets.getByRole('cell', { name: email, exact: true }).waitFor();

  const chat = await newContext();
  await chat.page.goto(`${WEB}/`);
  await chat.page.getByLabel('E-mail').fill(email);
  await chat.page.getByLabel('Password').fill(password);
  await chat.page.getByRole('button', { name: 'Sign in' }).click();
  await chat.page.locator('#composer-text').fill(`Hello there [upstream tokens=200]`);
  await chat.page.locator('#composer-text').press('Enter');
  const answer = chat.page.locator('article.message-assistant').last();
  await eventually('the first answer', async () => (await answer.getAttribute('data-status')) === 'completed', 30000);

  // Tighten the budget below what she has used: she is now over it, and the chat says so.
  await budgets.getByRole('button', { name: `Change the budget of ${email} per day` }).click();
  await dialog(page).getByLabel('Tokens').fill('240');
  await dialog(page).getByRole('button', { name: 'Save budget' }).click();
  await budgets.getByRole('cell', { name: '240', exact: true }).waitFor();
  await chat.page.locator('#composer-text').fill('Another one [upstream tokens=5]');
  await chat.page.locator('#composer-text').press('Enter');
  const refusal = chat.page.getByRole('alert').filter({ hasText: 'tokens' });
  await refusal.waitFor();
  assert(/0 left|resets/.test(await refusal.textContent()), `the chat explains the budget: ${await refusal.textContent()}`);
  await chat.page.screenshot({ path: join(OUT, 'web-chat-quota.png') });
  await chat.context.close();

  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Quotas and usage' }).waitFor();
  const standing = page.getByRole('region', { name: 'Near or over their budget' });
  await standing.getByRole('cell', { name: email }).waitFor();
  const byUser = page.getByRole('table', { name: 'Usage by user' });
  await byUser.getByRole('rowheader', { name: email }).waitFor();
  await page.getByRole('figure', { name: 'Tokens by day' }).locator('canvas').first().waitFor();
  await shot(page, 'usage');
  await axe(page, 'quotas and usage');

  await open(page, 'Overview');
  await page.getByRole('figure', { name: 'Turns per day' }).locator('canvas').first().waitFor();
  const turns = await page.locator('.kpis li').nth(1).locator('.kpi-value').textContent();
  assert(Number((turns ?? '0').replace(/\D/g, '')) >= 1, `the overview counts turns: ${turns}`);
  await page.getByRole('region', { name: 'Top models' }).getByRole('rowheader').first().waitFor();
  await shot(page, 'overview-light');
  await axe(page, 'overview');
  await assertClean(page, incidents);
});

test('users: disable with a confirmation that says what it does, enable, role change, end sessions, tokens', async ({ page, incidents }) => {
  const { call } = await admin();
  const email = `ulla-${Date.now()}@acme.example`;
  const created = await call('POST', '/v1/users', { email, password: PASSWORD, role: 'member', display_name: 'Ulla Users' });
  assert(created.status === 201 || created.status === 200, JSON.stringify(created.body));
  const ulla = await apiSession(WEB ?? ADMIN, { email, password: PASSWORD }).catch(() => null);
  if (ulla) await ulla.call('POST', '/v1/me/tokens', { name: 'ci-token' });

  await signInConsole(page);
  await open(page, 'Users');
  await page.getByRole('searchbox', { name: 'Search' }).fill('ulla-');
  const row = page.getByRole('row').filter({ hasText: email });
  await row.waitFor();
  await axe(page, 'users');
  await shot(page, 'users');

  const opener = row.getByRole('button', { name: `Disable ${email}` });
  await opener.click();
  const d = dialog(page);
  await d.waitFor();
  const text = await d.textContent();
  assert(/can no longer sign in/.test(text), `the dialog says what disabling does: ${text}`);
  assert(await d.evaluate((el) => el.contains(document.activeElement)), 'the focus is inside the dialog');
  await axe(page, 'confirm dialog');
  await shot(page, 'users-confirm-disable');
  await page.keyboard.press('Escape');
  await d.waitFor({ state: 'detached' });
  assert(await opener.evaluate((el) => el === document.activeElement), 'Escape closes the dialog and the focus returns to its opener');
  await opener.click();
  await confirmDialog(page, 'Disable user');
  await row.getByText('disabled', { exact: true }).waitFor();
  await row.getByRole('button', { name: `Enable ${email}` }).click();
  await confirmDialog(page, 'Enable user');
  await row.getByText('active', { exact: true }).waitFor();

  await row.getByLabel(`Role of ${email}`).selectOption('auditor');
  await confirmDialog(page, 'Make auditor');
  await eventually('the new role', async () => (await call('GET', `/v1/users/${created.body.id}`)).body.role === 'auditor');

  await row.getByRole('button', { name: `Sign out ${email} everywhere` }).click();
  const ended = await confirmDialog(page, 'End sessions');
  assert(/must sign in again/.test(ended), ended);
  if (ulla) {
    await eventually('her session ended', async () => (await ulla.call('GET', '/v1/me')).status === 401);
    await row.getByRole('button', { name: `API tokens of ${email}` }).click();
    const t = dialog(page);
    await t.getByRole('cell', { name: 'ci-token', exact: true }).waitFor();
    await t.getByRole('button', { name: 'Revoke token ci-token' }).click();
    await confirmDialog(page, 'Revoke token');
    await t.getByText('revoked', { exact: true }).waitFor();
    await shot(page, 'users-tokens');
    await t.getByRole('button', { name: 'Close' }).click();
  }
  await assertClean(page, incidents);
});

test('audit log: filter, entry detail, chain verified, export JSON Lines and CSV', async ({ page, incidents }) => {
  await signInConsole(page);
  await open(page, 'Audit log');
  await page.getByRole('region', { name: 'Chain verification' }).getByText('intact').waitFor();
  await page.getByLabel('Action').fill('user.created');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await eventually('only user.created', async () => {
    const actions = await page.locator('.audit-table tbody tr td:nth-child(4)').allTextContents();
    return actions.length > 0 && actions.every((a) => a === 'user.created');
  });
  assert(page.url().includes('action=user.created'), `the filter is in the URL: ${page.url()}`);
  await shot(page, 'audit');
  await axe(page, 'audit log');

  await page.locator('.audit-table tbody tr').first().getByRole('button', { name: /Details of entry/ }).click();
  const d = dialog(page);
  await d.getByText('user.created').first().waitFor();
  await d.locator('pre.json').waitFor();
  await shot(page, 'audit-entry');
  await axe(page, 'audit entry');
  await d.getByRole('button', { name: 'Close' }).click();

  // Filter by object: the first entry's target.
  const firstTarget = page.locator('.audit-table tbody tr').first().locator('td:nth-child(5) button');
  if (await firstTarget.count()) {
    await firstTarget.click();
    await eventually('the object filter', async () => page.url().includes('target_type=user') && page.url().includes('target_id='));
  }

  for (const [format, check] of [
    ['JSON Lines', (text) => text.trim().split('\n').every((l) => JSON.parse(l).action === 'user.created')],
    ['CSV', (text) => /action/i.test(text.split('\n')[0]) && text.includes('user.created') && !/auth\.login\b/.test(text)],
  ]) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: `Export ${format}` }).click()]);
    const file = await download.path();
    const text = readFileSync(file, 'utf8');
    assert(text.trim().length > 0 && check(text), `the ${format} export holds the filtered entries: ${text.slice(0, 300)}`);
    writeFileSync(join(OUT, `audit-export.${format === 'CSV' ? 'csv' : 'jsonl'}`), text);
    assert(/\.(csv|jsonl)$/.test(download.suggestedFilename()), `a file name: ${download.suggestedFilename()}`);
  }
  await assertClean(page, incidents);
});

test('plugins: platform admin uploads one; tenant admin adds, configures through the generated form, orders and disables', async ({ page, incidents }) => {
  if (!existsSync(PLUGINS_DIR)) throw new Failure(`no built plugins at ${PLUGINS_DIR} (run plugins/build.sh)`);
  await uploadPlugin('pii-redactor');
  await signInConsole(page);
  await open(page, 'Plugin uploads');
  await page.getByRole('button', { name: 'Upload plugin' }).click();
  const u = dialog(page);
  await u.getByLabel('Component (.wasm)').setInputFiles(join(PLUGINS_DIR, 'keyword-guard-0.1.0.wasm'));
  await u.getByLabel('Manifest (.json)').setInputFiles(join(PLUGINS_DIR, 'keyword-guard.manifest.json'));
  await shot(page, 'plugin-upload');
  await u.getByRole('button', { name: 'Upload' }).click();
  await u.waitFor({ state: 'detached' }).catch(async () => {
    // Uploaded by an earlier run of this server: that is refused as a duplicate; fine.
    const msg = await u.textContent();
    assert(/exists|already|conflict/i.test(msg), `upload failed: ${msg}`);
    await u.getByRole('button', { name: 'Cancel' }).click();
  });
  await page.getByRole('region', { name: 'keyword-guard' }).waitFor();
  await shot(page, 'platform-plugins');
  await axe(page, 'plugin uploads');

  await open(page, 'Plugins');
  await page.getByRole('button', { name: 'Add to chain: keyword-guard' }).click();
  const d = dialog(page);
  await d.getByRole('group', { name: /Patterns/ }).waitFor();
  // Saving the empty form shows what is missing, next to the fields, and moves the focus there.
  await d.getByRole('button', { name: 'Add to chain' }).click();
  await d.getByRole('alert').filter({ hasText: 'fixing' }).waitFor();
  assert((await d.getByLabel(/^Reason/).getAttribute('aria-invalid')) === 'true', 'the reason is marked invalid');
  await d.getByText('is required').first().waitFor();
  await shot(page, 'plugin-config-invalid');
  await d.getByRole('button', { name: 'Add patterns item' }).click();
  await d.getByLabel('Patterns, item 1').fill('forbidden*');
  await d.getByRole('button', { name: 'Add patterns item' }).click();
  await d.getByLabel('Patterns, item 2').fill('project x?');
  await d.getByLabel(/^Reason/).fill('That topic is off limits here.');
  await d.getByLabel('Time budget per call (ms)').fill('80');
  await d.getByLabel(/fail open/).check();
  await axe(page, 'plugin configuration');
  await shot(page, 'plugin-config');
  await d.getByRole('button', { name: 'Add to chain' }).click();
  await d.waitFor({ state: 'detached' });
  const { call } = await admin();
  const chainOf = async () => (await call('GET', '/v1/tenant/plugins')).body.chain.sort((a, b) => a.position - b.position);
  const kg = (await chainOf()).find((e) => e.name === 'keyword-guard');
  assert(kg && kg.enabled && kg.time_budget_ms === 80 && kg.failure_policy === 'fail_open', `saved: ${JSON.stringify(kg)}`);
  assert(JSON.stringify(kg.config) === JSON.stringify({ patterns: ['forbidden*', 'project x?'], reason: 'That topic is off limits here.' }), `config: ${JSON.stringify(kg.config)}`);

  await page.getByRole('button', { name: 'Add to chain: pii-redactor' }).click();
  const p = dialog(page);
  await p.getByRole('group', { name: /Kinds/ }).getByLabel('email').check();
  await p.getByRole('group', { name: /Kinds/ }).getByLabel('iban').check();
  await p.getByRole('button', { name: 'Add to chain' }).click();
  await p.waitFor({ state: 'detached' });
  await page.locator('.chain-item[data-name="pii-redactor"]').waitFor();
  const names = async () => (await chainOf()).map((e) => e.name).filter((n) => n === 'keyword-guard' || n === 'pii-redactor');
  assert(JSON.stringify(await names()) === '["keyword-guard","pii-redactor"]', `added last: ${await names()}`);

  // The keyboard: move up, and the focus stays with the plugin.
  await page.getByRole('button', { name: 'Move pii-redactor up' }).focus();
  await page.keyboard.press('Enter');
  await eventually('moved up', async () => JSON.stringify(await names()) === '["pii-redactor","keyword-guard"]');
  await eventually('the focus stays on the moved plugin', async () => page.evaluate(() => document.activeElement?.getAttribute('data-move')?.startsWith('pii-redactor:')));
  // The mouse: drag keyword-guard onto pii-redactor's place.
  await page.locator('.chain-item[data-name="keyword-guard"]').dragTo(page.locator('.chain-item[data-name="pii-redactor"]'));
  await eventually('dragged back', async () => JSON.stringify(await names()) === '["keyword-guard","pii-redactor"]');

  await page.getByRole('button', { name: 'Disable pii-redactor' }).click();
  await confirmDialog(page, 'Disable plugin');
  await eventually('disabled', async () => (await chainOf()).find((e) => e.name === 'pii-redactor')?.enabled === false);
  await page.getByRole('region', { name: 'Recent runs' }).waitFor();
  await shot(page, 'plugins');
  await axe(page, 'plugins');

  if (WEB) {
    // The plugin runs on a turn in the web chat, and the run is listed.
    const chat = await newContext();
    await chat.page.goto(`${WEB}/`);
    await chat.page.getByLabel('E-mail').fill(seed.admin.email);
    await chat.page.getByLabel('Password').fill(seed.admin.password);
    await chat.page.getByRole('button', { name: 'Sign in' }).click();
    await chat.page.locator('#composer-text').fill('Tell me about project xy please');
    await chat.page.locator('#composer-text').press('Enter');
    await chat.page.locator('article.message-assistant').last().waitFor();
    await chat.context.close();
    await page.reload();
    const runs = page.getByRole('region', { name: 'Recent runs' });
    await eventually('a listed run', async () => (await runs.locator('tbody tr').count()) > 0, 15000);
    await runs.getByLabel('Failures only').check();
    await page.waitForTimeout(300);
  }
  await assertClean(page, incidents);
});

test('sharing: every share listed, revoke with confirmation, link sharing switch, viewers', async ({ page, incidents }) => {
  const { call } = await admin();
  const conv = await call('POST', '/v1/conversations', { title: 'Shared for revoking' });
  assert(conv.status === 201, JSON.stringify(conv.body));
  const sent = await call('POST', `/v1/conversations/${conv.body.id}/messages`, { content: 'Hello [upstream tokens=3]' }, { 'Idempotency-Key': `share-${Date.now()}` });
  assert(sent.status === 202, JSON.stringify(sent.body));
  await eventually('the answer', async () => (await call('GET', `/v1/messages/${sent.body.assistant_message.id}`)).body.status === 'completed');
  const title = `Quarterly numbers ${Date.now()}`;
  const share = await call('POST', `/v1/conversations/${conv.body.id}/shares`, { visibility: 'tenant', title });
  assert(share.status === 201, JSON.stringify(share.body));

  await signInConsole(page);
  await open(page, 'Sharing');
  const row = page.getByRole('row').filter({ hasText: title });
  await row.waitFor();
  await shot(page, 'sharing');
  await axe(page, 'sharing');
  await row.getByRole('button', { name: `Viewers of “${title}”` }).click();
  await dialog(page).getByText(/Nobody has opened|view/).first().waitFor();
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  await row.getByRole('button', { name: `Revoke the share “${title}”` }).click();
  const text = await confirmDialog(page, 'Revoke share');
  assert(/stops opening for everyone/.test(text), text);
  await eventually('gone from the active shares', async () => (await page.getByRole('row').filter({ hasText: title }).count()) === 0);
  assert((await call('GET', `/v1/shares/${share.body.id}`)).body.status === 'revoked', 'revoked on the server');
  await page.getByLabel('Status').selectOption('revoked');
  await page.getByRole('row').filter({ hasText: title }).waitFor();

  const before = (await call('GET', '/v1/tenant/sharing')).body.links_allowed;
  const toggle = page.getByRole('switch');
  await toggle.click();
  await confirmDialog(page, before ? 'Turn links off' : 'Allow links');
  await eventually('the setting changed', async () => (await call('GET', '/v1/tenant/sharing')).body.links_allowed === !before);
  await toggle.click();
  await confirmDialog(page, before ? 'Allow links' : 'Turn links off');
  await eventually('the setting back', async () => (await call('GET', '/v1/tenant/sharing')).body.links_allowed === before);
  await assertClean(page, incidents);
});

test('models, providers and presets: add a tenant model, set a write-only key, diff two preset versions', async ({ page, incidents }) => {
  await signInConsole(page);
  await open(page, 'Models and providers');
  await page.getByRole('button', { name: 'Add model' }).click();
  const m = dialog(page);
  const id = `tenant-model-${Date.now() % 100000}`;
  await m.getByLabel(/^Id/).fill(id);
  await m.getByLabel('Display name').fill('Tenant model');
  await m.getByRole('button', { name: 'Save model' }).click();
  await m.waitFor({ state: 'detached' });
  await page.getByRole('rowheader', { name: new RegExp(id) }).waitFor();
  const providers = page.getByRole('region', { name: 'Provider keys' });
  const setKey = providers.getByRole('button', { name: /^(Set|Replace) key for/ }).first();
  if (await setKey.count()) {
    await setKey.click();
    const k = dialog(page);
    assert((await k.getByLabel('API key').getAttribute('type')) === 'password', 'the key field hides what is typed');
    await k.getByLabel('API key').fill('sk-e2e-secret-value');
    await k.getByRole('button', { name: 'Save key' }).click();
    const outcome = await Promise.race([
      k.waitFor({ state: 'detached' }).then(() => 'saved'),
      k.getByRole('alert').waitFor().then(async () => `refused: ${await k.getByRole('alert').textContent()}`),
    ]);
    assert(outcome === 'saved', `the key is stored (the e2e server has a master key): ${outcome}`);
    await providers.getByText('set', { exact: true }).first().waitFor();
    assert(!(await page.content()).includes('sk-e2e-secret-value'), 'the key is never shown');
  }
  await shot(page, 'models');
  await axe(page, 'models and providers');

  await open(page, 'Presets');
  await page.getByRole('button', { name: 'New preset' }).click();
  const p = dialog(page);
  const name = `Support tone ${Date.now() % 100000}`;
  await p.getByLabel('Name').fill(name);
  await p.getByLabel('System prompt').fill('Be kind.\nAnswer briefly.\nSign with the team name.');
  await p.getByRole('button', { name: 'Create preset' }).click();
  await p.waitFor({ state: 'detached' });
  await page.getByRole('button', { name: `Edit ${name}` }).click();
  await dialog(page).getByLabel('System prompt').fill('Be kind.\nAnswer in three sentences at most.\nSign with the team name.');
  await dialog(page).getByRole('button', { name: 'Save as new version' }).click();
  await dialog(page).waitFor({ state: 'detached' });
  await page.getByRole('listitem').filter({ hasText: name }).getByText('v2').waitFor();
  await shot(page, 'presets');
  await axe(page, 'presets');
  await page.getByRole('button', { name: `Versions of ${name}` }).click();
  const v = dialog(page);
  await v.locator('.diff-delete').filter({ hasText: 'Answer briefly.' }).waitFor();
  await v.locator('.diff-insert').filter({ hasText: 'Answer in three sentences at most.' }).waitFor();
  await shot(page, 'preset-diff');
  await axe(page, 'preset diff');
  await v.getByRole('button', { name: 'Close' }).click();
  await assertClean(page, incidents);
});

test('platform admin: create a tenant, disable and enable it; platform audit and system health', async ({ page, incidents }) => {
  await signInConsole(page);
  await open(page, 'Tenants');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  const d = dialog(page);
  const slug = `initech-${Date.now() % 100000}`;
  await d.getByLabel('Name', { exact: true }).fill(`Initech ${slug}`);
  await d.getByLabel(/^Slug/).fill(slug);
  await d.getByRole('button', { name: 'Create tenant' }).click();
  await d.waitFor({ state: 'detached' });
  const row = page.getByRole('row').filter({ hasText: slug });
  await row.waitFor();
  await row.getByRole('button', { name: /Disable tenant/ }).click();
  const text = await confirmDialog(page, 'Disable tenant');
  assert(/can sign in/.test(text), text);
  await row.getByText('disabled', { exact: true }).waitFor();
  await row.getByRole('button', { name: /Enable tenant/ }).click();
  await confirmDialog(page, 'Enable tenant');
  await row.getByText('active', { exact: true }).waitFor();
  await shot(page, 'tenants');
  await axe(page, 'tenants');

  await open(page, 'Platform audit');
  await page.getByRole('button', { name: 'tenant.created' }).first().waitFor();
  await shot(page, 'platform-audit');
  await axe(page, 'platform audit');

  await open(page, 'System health');
  await page.getByText(/^(Ready|Degraded|Unavailable)$/).waitFor();
  await page.getByRole('region', { name: 'Checks' }).getByRole('row').nth(1).waitFor();
  await shot(page, 'health');
  await axe(page, 'system health');
  await assertClean(page, incidents);
});

test('file storage: the tenant admin sees what the tenant’s files take; the platform admin, every tenant’s', async ({ page, incidents }) => {
  const { me, call } = await admin();
  const upload = await call('POST', `/v1/files?name=storage-notes-${Date.now()}.txt`, Buffer.from(`Storage notes ${Date.now()}\n`.repeat(60)));
  assert(upload.status === 201, `uploaded: ${upload.status} ${JSON.stringify(upload.body)}`);
  const storage = (await call('GET', '/v1/tenant/storage')).body;
  assert(storage.files >= 1 && storage.bytes >= upload.body.size_bytes, `counted: ${JSON.stringify(storage)}`);
  // As the console writes sizes (format.ts).
  const kib = `${(storage.bytes / 1024).toFixed(1)} KiB`;

  await signInConsole(page);
  await open(page, 'Quotas and usage');
  const region = page.getByRole('region', { name: 'File storage' });
  await region.getByText(kib, { exact: true }).waitFor();
  assert((await region.locator('.kpi-value').first().textContent()) === storage.files.toLocaleString('en-US'), 'the number of files');
  await region.getByText(storage.quota_bytes ? /quota · \d+ % used/ : 'No limit').waitFor();
  await region.scrollIntoViewIfNeeded();
  await shot(page, 'usage-storage');
  await axe(page, 'quotas and usage, with storage');

  await open(page, 'Tenants');
  const row = page.getByRole('row').filter({ hasText: me.active_tenant.slug });
  await row.getByText(kib).waitFor();
  await row.getByText(`${storage.files} file${storage.files === 1 ? '' : 's'}`, { exact: true }).waitFor();
  // A tenant nobody attached a file in takes nothing.
  await page.getByRole('row').filter({ hasText: 'globex' }).getByText('No files').waitFor();
  await shot(page, 'tenants-storage');
  await assertClean(page, incidents);
});

// ---- retention, legal holds and SIEM sinks ---------------------------------------------------
/** The platform retention as it is, to put back after a test that moves it. */
async function platformRetention() {
  const { call } = await admin();
  const r = await call('GET', '/v1/platform/retention');
  assert(r.status === 200, `platform retention: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
async function restorePlatformRetention(settings) {
  const { call } = await admin();
  const r = await call('PUT', '/v1/platform/retention', settings);
  assert(r.status === 200, `restoring the platform retention: ${r.status} ${JSON.stringify(r.body)}`);
}
/** Sets a period in the form: untick "Keep forever" when needed, then type the days. */
async function setPeriod(scope, label, days) {
  const forever = scope.getByRole('checkbox', { name: `Keep forever (${label})`, exact: true });
  if (await forever.isChecked()) await forever.uncheck();
  await scope.getByRole('textbox', { name: label, exact: true }).fill(days);
}

test('tenant admin: retention policy (a bad value shows the server’s message, nothing changes), preview, a legal hold placed and released', async ({ page, incidents }) => {
  const { call } = await admin();
  const saved = await platformRetention();
  // The platform keeps conversations at least 30 days.
  await restorePlatformRetention({ ...saved, floor: { ...saved.floor, conversation_days: 30 } });
  // A conversation deleted now: with a grace of 0 days, the next purge would take it.
  const conv = await call('POST', '/v1/conversations', { title: 'Deleted for the preview' });
  assert(conv.status === 201, JSON.stringify(conv.body));
  const del = await call('DELETE', `/v1/conversations/${conv.body.id}`);
  assert([200, 204].includes(del.status), `deleting a conversation: ${del.status}`);
  try {
    const before = (await call('GET', '/v1/tenant/retention')).body;
    await signInConsole(page);
    await open(page, 'Retention and legal holds');
    const policy = page.getByRole('region', { name: 'Retention policy' });
    const conversations = policy.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /^Conversations/ }) });
    await conversations.getByRole('cell', { name: 'at least 30 days' }).waitFor();

    // Below the platform floor: the server refuses, says why next to the field, and nothing changes.
    await setPeriod(policy, 'Conversations (days)', '7');
    await policy.getByRole('button', { name: 'Save policy' }).click();
    const text = await confirmDialog(page, 'Save policy');
    assert(/Conversations: .* → 7 days/.test(text), `the confirmation lists the change: ${text}`);
    await conversations.getByRole('alert').filter({ hasText: 'must be at least 30 days (the platform floor)' }).waitFor();
    await policy.getByRole('alert').filter({ hasText: 'Not saved. Conversations: Must be at least 30 days' }).waitFor();
    assert((await policy.getByRole('textbox', { name: 'Conversations (days)', exact: true }).getAttribute('aria-invalid')) === 'true', 'the field is marked invalid');
    const unchanged = (await call('GET', '/v1/tenant/retention')).body;
    assert(JSON.stringify(unchanged.policy) === JSON.stringify(before.policy), `nothing changed: ${JSON.stringify(unchanged.policy)}`);
    await shot(page, 'retention-refused');

    // Not a number: the form says so itself.
    await setPeriod(policy, 'Conversations (days)', 'soon');
    await policy.getByRole('button', { name: 'Save policy' }).click();
    await conversations.getByText('Enter a whole number of days.').waitFor();

    // A draft previews before it is saved: 45 days, and deleted conversations go at once. The
    // preview counts the deleted conversation under the draft; nothing is saved by looking.
    await setPeriod(policy, 'Conversations (days)', '45');
    await setPeriod(policy, 'Deleted conversations (days)', '0');
    await policy.getByRole('button', { name: 'Preview these periods' }).click();
    const draftPreview = page.getByRole('region', { name: 'What the draft periods would delete' });
    const draftDeleted = draftPreview.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Deleted conversations past the grace' }) });
    await eventually('the draft counts the deleted conversation', async () => Number((await draftDeleted.getByRole('cell').first().textContent()).replace(/\D/g, '')) >= 1);
    await draftPreview.getByText('which are not saved').waitFor();
    const stillBefore = (await call('GET', '/v1/tenant/retention')).body;
    assert(JSON.stringify(stillBefore.policy) === JSON.stringify(before.policy), `a preview saves nothing: ${JSON.stringify(stillBefore.policy)}`);
    await shot(page, 'retention-draft-preview');
    await axe(page, 'retention draft preview');
    await draftPreview.getByRole('button', { name: 'Show the policy in force' }).click();

    // Then saved.
    await policy.getByRole('button', { name: 'Save policy' }).click();
    const ok = await confirmDialog(page, 'Save policy');
    assert(/deletes, for good/.test(ok), `shortening warns what the purge will do: ${ok}`);
    await page.getByRole('status').getByText('Retention policy saved.').waitFor();
    const after = (await call('GET', '/v1/tenant/retention')).body;
    assert(after.policy?.conversation_days === 45 && after.policy?.deleted_grace_days === 0, `saved: ${JSON.stringify(after.policy)}`);
    await conversations.getByRole('cell', { name: '45 days', exact: true }).waitFor();

    // The preview counts what the next purge would take: the deleted conversation.
    const preview = page.getByRole('region', { name: 'What the next purge would delete' });
    await preview.getByRole('button', { name: 'Count again' }).click();
    const deleted = preview.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Deleted conversations past the grace' }) });
    await eventually('the deleted conversation counted', async () => Number((await deleted.getByRole('cell').first().textContent()).replace(/\D/g, '')) >= 1);
    await shot(page, 'retention');
    await axe(page, 'retention and legal holds');

    // A legal hold on a user: case name and reason, then released (after a confirmation).
    const holds = page.getByRole('region', { name: 'Legal holds' });
    await holds.getByText('No active legal holds.').waitFor();
    await holds.getByRole('button', { name: 'Place a legal hold' }).click();
    const d = dialog(page);
    await d.getByRole('radio', { name: 'Everything one user owns' }).check();
    await d.getByLabel('User', { exact: true }).fill(seed.quota_user.email);
    await eventually('the user suggested', async () => (await d.locator('datalist option').count()) > 0);
    await d.getByLabel('User', { exact: true }).blur();
    await d.getByText(`${seed.quota_user.email} chosen.`).waitFor();
    const caseName = `Acme v. Globex ${Date.now() % 100000}`;
    await d.getByLabel(/^Case name/).fill(caseName);
    await d.getByLabel(/^Reason/).fill('Litigation hold: keep every conversation of the account.');
    await shot(page, 'legal-hold-place');
    await axe(page, 'place a legal hold');
    await d.getByRole('button', { name: 'Place hold' }).click();
    await d.waitFor({ state: 'detached' });
    const row = holds.getByRole('row').filter({ hasText: caseName });
    await row.getByText(seed.quota_user.email).waitFor();
    await row.getByText('active', { exact: true }).waitFor();
    await row.getByText(/^by /).first().waitFor();
    await shot(page, 'legal-holds');
    await row.getByRole('button', { name: `Release the hold “${caseName}”` }).click();
    const released = await confirmDialog(page, 'Release hold');
    assert(/Retention then catches up/.test(released) && released.includes(caseName), `the confirmation says what releasing does: ${released}`);
    await row.waitFor({ state: 'detached' });
    await holds.getByLabel('Show').selectOption('all');
    await holds.getByRole('row').filter({ hasText: caseName }).getByText('released', { exact: true }).waitFor();
    const list = (await call('GET', '/v1/tenant/legal-holds')).body.items;
    assert(list.find((h) => h.case_name === caseName)?.released_at, 'the hold is released on the server');
    await assertClean(page, incidents);
  } finally {
    await restorePlatformRetention(saved);
    await call('PUT', '/v1/tenant/retention', { conversation_days: null, deleted_grace_days: 30, share_days: null, usage_days: null, audit_days: null });
  }
});

test('tenant admin: private chats turned off with a reason members are told; a tenant-wide legal hold is noted', async ({ page, incidents }) => {
  const { call } = await admin();
  let hold = null;
  try {
    await signInConsole(page);
    await open(page, 'Retention and legal holds');
    const card = page.getByRole('region', { name: 'Private chats' });
    const toggle = card.getByRole('switch', { name: 'Allow private chats' });
    await card.getByText('Never changed (allowed by default)').waitFor();
    assert(await toggle.isChecked(), 'allowed by default');
    await toggle.uncheck();
    await card.getByLabel(/^Reason shown to members/).fill('Policy 7 requires keeping every conversation');
    await card.getByRole('button', { name: 'Save' }).click();
    const text = await confirmDialog(page, 'Turn private chats off');
    assert(/stay there: Confab never had them/.test(text), `the confirmation says what happens to existing private chats: ${text}`);
    await page.getByRole('status').getByText('Private chats turned off.').waitFor();
    await card.getByText(/^Changed .* by /).waitFor();
    const member = await apiSession(WEB, await account('member', 'member'));
    const seen = await member.call('GET', '/v1/private-mode');
    assert(seen.body.allowed === false && seen.body.reason === 'Policy 7 requires keeping every conversation', `a member is told why: ${JSON.stringify(seen.body)}`);
    await card.scrollIntoViewIfNeeded();
    await shot(page, 'private-chats-off');
    await axe(page, 'private chats card');

    // A tenant-wide legal hold forbids private chats whatever the switch says; the card says so.
    hold = (await call('POST', '/v1/tenant/legal-holds', { scope: 'tenant', subject_id: null, case_name: 'Private chats case', reason: 'Keep everything.' })).body;
    await call('PUT', '/v1/tenant/private-mode', { allowed: true });
    await page.reload();
    await card.getByText('The tenant-wide legal hold “Private chats case” forbids private chats while it is active, whatever this setting says.').waitFor();
    assert(await toggle.isChecked(), 'the switch shows the setting itself');
    const held = await member.call('GET', '/v1/private-mode');
    assert(held.body.allowed === false, `the hold forbids private chats: ${JSON.stringify(held.body)}`);
    await card.scrollIntoViewIfNeeded();
    await shot(page, 'private-chats-legal-hold');
    await assertClean(page, incidents);
  } finally {
    if (hold?.id) await call('POST', `/v1/tenant/legal-holds/${hold.id}/release`);
    await call('PUT', '/v1/tenant/private-mode', { allowed: true });
  }
});

test('tenant admin: a webhook sink shows its status and backlog; test event; deleting it drops the backlog', async ({ page, incidents }) => {
  await signInConsole(page);
  await open(page, 'SIEM sinks');
  await page.getByText('No sinks.').waitFor();
  await shot(page, 'siem-empty');
  await page.getByRole('button', { name: 'Add a sink' }).click();
  const d = dialog(page);
  const name = `Splunk ${Date.now() % 100000}`;
  await d.getByLabel('Name', { exact: true }).fill(name);
  // A public name that never resolves: delivery fails, retries, and the backlog waits.
  await d.getByLabel('Webhook URL').fill('https://siem.invalid/confab/audit');
  assert((await d.getByLabel(/^Signing secret/).getAttribute('type')) === 'password', 'the secret field hides what is typed');
  await d.getByLabel(/^Signing secret/).fill('e2e-signing-secret-never-shown');
  await axe(page, 'add a sink');
  await d.getByRole('button', { name: 'Add sink' }).click();
  await d.waitFor({ state: 'detached' });
  const row = page.getByRole('row').filter({ hasText: name });
  await row.getByText('https://siem.invalid/confab/audit').waitFor();
  await row.getByText('Signing secret set (never shown)').waitFor();
  assert(!(await page.content()).includes('e2e-signing-secret-never-shown'), 'the secret is never shown');
  // Its own creation entry waits at least.
  const backlog = async () => Number((await row.getByRole('cell').nth(1).textContent()).replace(/\D/g, ''));
  await eventually('a backlog', async () => (await backlog()) >= 1);
  await row.getByRole('button', { name: `Send a test event to ${name}` }).click();
  await row.getByText(/Test event not delivered: /).waitFor({ timeout: 30000 });
  await eventually('the failing status and its error', async () => (await row.getByText('failing', { exact: true }).count()) > 0 && (await row.locator('.detail-cell .error').count()) > 0, 30000);
  await row.getByText('never', { exact: true }).waitFor();
  await shot(page, 'siem');
  await axe(page, 'SIEM sinks');
  const { call } = await admin();
  const server = (await call('GET', '/v1/tenant/audit-sinks')).body.items.find((s) => s.name === name);
  assert(server && server.status === 'failing' && server.backlog >= 1, `the server agrees: ${JSON.stringify(server)}`);

  await row.getByRole('button', { name: `Delete the sink ${name}` }).click();
  const text = await confirmDialog(page, 'Delete sink');
  assert(/dropped, not sent/.test(text), `the confirmation says the backlog is dropped: ${text}`);
  await row.waitFor({ state: 'detached' });
  await page.getByText('No sinks.').waitFor();
  assert(!(await call('GET', '/v1/tenant/audit-sinks')).body.items.some((s) => s.name === name), 'the sink is gone on the server');
  await assertClean(page, incidents);
});

test('tenant admin: a SCIM token shown once works against the SCIM endpoint, then revoked; group → role mapping saved', async ({ page, incidents }) => {
  const { call } = await admin();
  const before = (await call('GET', '/v1/tenant/role-mappings')).body;
  try {
    await signInConsole(page);
    await open(page, 'Identity provider');
    await page.getByRole('button', { name: 'Create a token' }).click();
    const d = dialog(page);
    const name = `Okta ${Date.now() % 100000}`;
    await d.getByLabel(/^Name/).fill(name);
    await d.getByRole('button', { name: 'Create token' }).click();
    await d.getByText('cannot show it again').waitFor();
    const secret = await d.getByLabel('Bearer token').inputValue();
    const endpoint = await d.getByLabel('SCIM base URL').inputValue();
    assert(secret.startsWith('cfs_'), `a SCIM secret: ${secret.slice(0, 4)}`);
    assert(/\/scim\/v2\/[a-z0-9-]+$/.test(endpoint), `the SCIM base URL: ${endpoint}`);
    await shot(page, 'identity-token-created');
    await axe(page, 'SCIM token created');
    await d.getByRole('button', { name: 'Done' }).click();
    await d.waitFor({ state: 'detached' });
    // What the dialog showed is what the identity provider needs: the URL and the token work.
    const scim = (path) => fetch(`${endpoint}${path}`, { headers: { authorization: `Bearer ${secret}` } });
    const users = await scim('/Users?count=1');
    assert(users.status === 200, `SCIM with the new token: ${users.status}`);
    assert(!(await page.content()).includes(secret), 'the secret is gone from the page once the dialog closes');
    const row = page.getByRole('row').filter({ hasText: name });
    await row.getByText('active', { exact: true }).waitFor();
    await row.getByRole('button', { name: `Revoke the SCIM token ${name}` }).click();
    const said = await confirmDialog(page, 'Revoke token');
    assert(said.includes('refused'), `the confirmation says what revoking does: ${said}`);
    await row.getByText('revoked', { exact: true }).waitFor();
    assert((await scim('/Users?count=1')).status === 401, 'the revoked token is refused');

    // The mapping: a duplicate is refused before saving; then saved after a confirmation.
    const group = `Confab Admins ${Date.now() % 100000}`;
    await page.getByRole('button', { name: 'Add a group' }).click();
    const groups = page.getByLabel('Directory group');
    await groups.last().fill(group);
    await page.getByRole('button', { name: 'Add a group' }).click();
    await groups.last().fill(group.toUpperCase());
    await page.getByText('is mapped twice').waitFor();
    assert(await page.getByRole('button', { name: 'Save mapping' }).isDisabled(), 'a duplicate cannot be saved');
    await page.getByRole('button', { name: `Remove the mapping of ${group.toUpperCase()}`, exact: true }).click();
    await page.getByLabel('Role').last().selectOption('auditor');
    await page.getByRole('button', { name: 'Save mapping' }).click();
    const text = await confirmDialog(page, 'Save mapping');
    assert(text.includes('signed out everywhere'), `the confirmation says who is signed out: ${text}`);
    await eventually('the saved mapping', async () => (await call('GET', '/v1/tenant/role-mappings')).body.mappings.some((m) => m.group === group && m.role === 'auditor'));
    await shot(page, 'identity');
    await axe(page, 'identity provider');
    await assertClean(page, incidents);
  } finally {
    await call('PUT', '/v1/tenant/role-mappings', before);
  }
});

test('single sign-on: the settings and the redirect URI to register, never the secret; a new name saved; a bad issuer refused with the server’s reason', async ({ context, page, incidents }) => {
  const { call } = await initechAdmin();
  const before = (await call('GET', '/v1/tenant/sso')).body;
  assert(before.display_name === 'Initech SSO' && !before.has_client_secret, `the seeded settings: ${JSON.stringify(before)}`);
  const secret = `e2e-client-secret-${Date.now()}`;
  try {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ADMIN });
    await signInConsole(page, seed.sso.admin);
    await open(page, 'Identity provider');
    const sso = page.getByRole('region', { name: 'Single sign-on' });
    await sso.getByText('Initech SSO', { exact: true }).waitFor();
    await sso.getByText(seed.sso.issuer, { exact: true }).waitFor();
    await sso.getByText('confab-initech', { exact: true }).waitFor();
    await sso.getByText('None: a public client (PKCE only)').waitFor();
    await sso.getByText(/^On: a first sign-in creates the account/).waitFor();
    const redirect = await sso.getByLabel('Redirect URI', { exact: true }).inputValue();
    assert(redirect === before.redirect_uri && redirect.endsWith('/v1/auth/oidc/callback'), `the redirect URI to register: ${redirect}`);
    await sso.getByRole('button', { name: 'Copy the redirect URI' }).click();
    await page.getByRole('status').getByText('Copied the redirect URI.').waitFor();
    const pasted = await page.evaluate(() => navigator.clipboard.readText());
    assert(pasted === redirect, `the clipboard holds the redirect URI: ${pasted}`);
    await shot(page, 'identity-sso');
    await axe(page, 'single sign-on');

    // A new display name: saved, and shown after a reload.
    await sso.getByRole('button', { name: 'Edit settings' }).click();
    const name = sso.getByLabel('Display name', { exact: true });
    assert((await name.inputValue()) === 'Initech SSO', 'the form starts from the saved settings');
    const secretField = sso.getByLabel('Client secret', { exact: true });
    assert((await secretField.getAttribute('type')) === 'password' && (await secretField.inputValue()) === '', 'the secret field is empty and hides what is typed');
    const renamed = `Initech Login ${Date.now() % 100000}`;
    await name.fill(renamed);
    await shot(page, 'identity-sso-edit');
    await axe(page, 'single sign-on form');
    await sso.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').getByText('Single sign-on settings saved.').waitFor();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Identity provider' }).waitFor();
    await sso.getByText(renamed, { exact: true }).waitFor();
    const after = (await call('GET', '/v1/tenant/sso')).body;
    const same = (k) => JSON.stringify(after[k]) === JSON.stringify(before[k]);
    assert(after.display_name === renamed && ['issuer', 'client_id', 'scopes', 'allowed_domains', 'groups_claim', 'jit_provisioning', 'allow_passwords', 'enabled', 'has_client_secret'].every(same), `only the name changed: ${JSON.stringify(after)}`);

    // An issuer without OpenID discovery: the server's reason beside the field, nothing saved.
    await sso.getByRole('button', { name: 'Edit settings' }).click();
    const issuer = sso.getByLabel('Issuer', { exact: true });
    await issuer.fill('http://127.0.0.1:9');
    await sso.getByRole('button', { name: 'Save settings' }).click();
    await sso.getByRole('alert').filter({ hasText: 'Not saved. Issuer: OpenID discovery at http://127.0.0.1:9/.well-known/openid-configuration failed' }).waitFor();
    await sso.locator('.field-error').filter({ hasText: /^OpenID discovery at http:\/\/127\.0\.0\.1:9/ }).waitFor();
    assert((await issuer.getAttribute('aria-invalid')) === 'true', 'the issuer is marked invalid');
    assert(await issuer.evaluate((el) => el === document.activeElement), 'the focus moves to the issuer');
    const unchanged = (await call('GET', '/v1/tenant/sso')).body;
    assert(JSON.stringify(unchanged) === JSON.stringify(after), `nothing changed: ${JSON.stringify(unchanged)}`);
    await shot(page, 'identity-sso-refused');
    await axe(page, 'single sign-on refused');
    await sso.getByRole('button', { name: 'Cancel' }).click();
    await sso.getByText(seed.sso.issuer, { exact: true }).waitFor();

    // A client secret: stored and never shown, kept by an empty field, then removed.
    await sso.getByRole('button', { name: 'Edit settings' }).click();
    await secretField.fill(secret);
    await sso.getByRole('button', { name: 'Save settings' }).click();
    await sso.getByText('Stored (never shown)').waitFor();
    assert((await call('GET', '/v1/tenant/sso')).body.has_client_secret, 'a secret is stored');
    assert(!(await page.content()).includes(secret), 'the secret is never shown');
    await sso.getByRole('button', { name: 'Edit settings' }).click();
    assert(/A secret is stored: leave empty to keep it/.test(await secretField.getAttribute('placeholder')), 'the field says a secret is stored');
    assert((await secretField.inputValue()) === '', 'the stored secret is not filled in');
    await sso.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').getByText('Single sign-on settings saved.').first().waitFor();
    await sso.getByText('Stored (never shown)').waitFor();
    assert((await call('GET', '/v1/tenant/sso')).body.has_client_secret, 'an empty field keeps the secret');
    await sso.getByRole('button', { name: 'Edit settings' }).click();
    await sso.getByLabel(/^Remove the stored secret/).check();
    await sso.getByRole('button', { name: 'Save settings' }).click();
    await sso.getByText('None: a public client (PKCE only)').waitFor();
    assert(!(await call('GET', '/v1/tenant/sso')).body.has_client_secret, 'the secret is removed');
    assert(!(await page.content()).includes(secret), 'the secret is never shown');
    await assertClean(page, incidents);
  } finally {
    await call('PUT', '/v1/tenant/sso', ssoBodyOf(before));
  }
});

test('e-mail domains: a claimed domain shows its TXT record; Verify says what DNS holds until it is published; removed after a confirmation', async ({ page, incidents }) => {
  const { call } = await initechAdmin();
  const domain = 'initech-labs.example';
  try {
    await signInConsole(page, seed.sso.admin);
    await open(page, 'Identity provider');
    const section = page.getByRole('region', { name: 'E-mail domains' });
    // A domain's rows: its own, and the record to publish while it is pending.
    const rowOf = (d) => section.getByRole('rowgroup').filter({ has: page.getByRole('rowheader', { name: d, exact: true }) });
    const home = rowOf('initech.example');
    await home.getByText('verified', { exact: true }).waitFor();
    await home.getByText(/^by DNS, /).waitFor();
    assert((await home.getByRole('button', { name: /^Verify/ }).count()) === 0, 'nothing to verify on a verified domain');

    // Not a domain name: the server's reason; then the domain, typed loosely.
    const input = section.getByLabel('Domain', { exact: true });
    await input.fill('not a domain');
    await section.getByRole('button', { name: 'Add domain' }).click();
    await section.getByRole('alert').filter({ hasText: 'Not added: `not a domain` is not a domain name' }).waitFor();
    await input.fill(` ${domain.toUpperCase()} `);
    await section.getByRole('button', { name: 'Add domain' }).click();
    const row = rowOf(domain);
    await row.getByText('pending', { exact: true }).waitFor();
    assert((await input.inputValue()) === '', 'the field is emptied');
    const txtName = await row.getByLabel('TXT record name').inputValue();
    const txtValue = await row.getByLabel('TXT record value').inputValue();
    const claim = (await call('GET', '/v1/tenant/domains')).body.domains.find((d) => d.domain === domain);
    assert(claim && !claim.verified && txtName === claim.txt_name && txtValue === claim.txt_value && txtName === `_confab-challenge.${domain}`, `the record to publish: ${txtName} ${txtValue} ${JSON.stringify(claim)}`);
    await section.scrollIntoViewIfNeeded();
    await shot(page, 'identity-domain-pending');
    await axe(page, 'e-mail domains');

    // Verify before the record is there, with a wrong one, and with the right one.
    const verify = row.getByRole('button', { name: `Verify ${domain}` });
    // The DNS server takes the record from the e2e server's standard input: check until it shows.
    const verifyShows = async (text) => {
      await eventually(`“${text}” after Verify`, async () => {
        if ((await verify.count()) && (await verify.isEnabled())) await verify.click();
        await page.waitForTimeout(300);
        return (await row.getByText(text).count()) > 0;
      });
    };
    await verifyShows(`Not verified: No TXT record at ${txtName} yet`);
    await section.scrollIntoViewIfNeeded();
    await shot(page, 'identity-domain-no-record');
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    await axe(page, 'e-mail domains and single sign-on (dark)');
    await shot(page, 'identity-domain-dark');
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
    server.stdin.write(`txt ${txtName} confab-domain-verification=not-the-right-one\n`);
    await verifyShows(`the TXT records at ${txtName} do not include ${txtValue}`);
    server.stdin.write(`txt ${txtName} ${txtValue}\n`);
    await verifyShows('by DNS');
    await row.getByText('verified', { exact: true }).waitFor();
    assert((await row.getByRole('alert').count()) === 0, 'no failure left on a verified domain');
    const verified = (await call('GET', '/v1/tenant/domains')).body.domains.find((d) => d.domain === domain);
    assert(verified?.verified && verified.verified_by === 'dns', `verified by DNS: ${JSON.stringify(verified)}`);
    await section.scrollIntoViewIfNeeded();
    await shot(page, 'identity-domain-verified');

    await row.getByRole('button', { name: `Remove the domain ${domain}` }).click();
    const said = await confirmDialog(page, 'Remove domain');
    assert(said.includes(`Sign-ins with an address at ${domain} no longer go to the tenant’s provider`), `the confirmation says what removing does: ${said}`);
    await row.waitFor({ state: 'detached' });
    assert(!(await call('GET', '/v1/tenant/domains')).body.domains.some((d) => d.domain === domain), 'the claim is gone on the server');
    await assertClean(page, incidents);
  } finally {
    await call('DELETE', `/v1/tenant/domains/${domain}`);
    server.stdin.write(`txt _confab-challenge.${domain}\n`);
  }
});

test('single sign-on set up from scratch: provisioning for an unverified domain refused beside the field; saved; removed after a confirmation', async ({ page, incidents }) => {
  const { call } = await admin();
  assert((await call('GET', '/v1/tenant/sso')).status === 404, 'acme starts without single sign-on');
  try {
    await signInConsole(page);
    await open(page, 'Identity provider');
    const sso = page.getByRole('region', { name: 'Single sign-on' });
    await sso.getByText('Single sign-on is not set up.').waitFor();
    await shot(page, 'identity-sso-none');
    await sso.getByRole('button', { name: 'Set up single sign-on' }).click();
    assert((await sso.getByLabel('Scopes', { exact: true }).inputValue()) === 'openid email profile', 'the default scopes are proposed');
    await sso.getByLabel('Display name', { exact: true }).fill('Acme Okta');
    await sso.getByLabel('Issuer', { exact: true }).fill(seed.sso.issuer);
    await sso.getByLabel('Client id', { exact: true }).fill('confab-acme');
    await sso.getByLabel('Allowed domains', { exact: true }).fill('acme.example');
    await sso.getByLabel(/^Just-in-time provisioning/).check();
    // The form warns, and the server refuses: acme has not verified acme.example.
    await sso.getByRole('note').filter({ hasText: 'Not verified yet: acme.example.' }).waitFor();
    await sso.getByRole('button', { name: 'Set up single sign-on' }).click();
    await sso.getByRole('alert').filter({ hasText: 'Not saved. Allowed domains: ' }).waitFor();
    const domains = sso.getByLabel('Allowed domains', { exact: true });
    assert((await domains.getAttribute('aria-invalid')) === 'true', 'the allowed domains are marked invalid');
    await sso.locator('.field-error').filter({ hasText: /acme\.example is not/ }).waitFor();
    assert((await call('GET', '/v1/tenant/sso')).status === 404, 'nothing was saved');
    await shot(page, 'identity-sso-setup-refused');
    await axe(page, 'single sign-on setup');
    await sso.getByLabel(/^Just-in-time provisioning/).uncheck();
    await sso.getByRole('button', { name: 'Set up single sign-on' }).click();
    await page.getByRole('status').getByText('Single sign-on set up. Register the redirect URI at the provider.').waitFor();
    await sso.getByText('Acme Okta', { exact: true }).waitFor();
    await sso.getByText(/^Off: only people with an account here can sign in/).waitFor();
    const saved = (await call('GET', '/v1/tenant/sso')).body;
    assert(saved.client_id === 'confab-acme' && !saved.jit_provisioning && JSON.stringify(saved.allowed_domains) === '["acme.example"]' && saved.enabled && saved.allow_passwords, `saved: ${JSON.stringify(saved)}`);
    assert((await sso.getByLabel('Redirect URI', { exact: true }).inputValue()) === saved.redirect_uri, 'the redirect URI to register is shown');

    await sso.getByRole('button', { name: 'Remove single sign-on' }).click();
    const said = await confirmDialog(page, 'Remove single sign-on');
    assert(said.includes('stops offering “Sign in with Acme Okta”') && said.includes('Members sign in with their passwords again'), `the confirmation says what removing does: ${said}`);
    await sso.getByText('Single sign-on is not set up.').waitFor();
    assert((await call('GET', '/v1/tenant/sso')).status === 404, 'removed on the server');
    await assertClean(page, incidents);
  } finally {
    await call('DELETE', '/v1/tenant/sso');
  }
});

test('an auditor of a tenant on single sign-on reads its settings and domains, and can change none of them', async ({ page, incidents }) => {
  const { call } = await initechAdmin();
  const email = `ida-${Date.now() % 100000}@initech.example`;
  const created = await call('POST', '/v1/users', { email, password: PASSWORD, role: 'auditor', display_name: 'Ida Initech' });
  assert([200, 201].includes(created.status), `an initech auditor: ${created.status} ${JSON.stringify(created.body)}`);
  const pending = 'initech-audit.example';
  const claimed = await call('POST', '/v1/tenant/domains', { domain: pending });
  assert(claimed.status === 201, `claiming ${pending}: ${claimed.status} ${JSON.stringify(claimed.body)}`);
  try {
    await signInConsole(page, { email, password: PASSWORD });
    await open(page, 'Identity provider');
    const sso = page.getByRole('region', { name: 'Single sign-on' });
    await sso.getByText('Initech SSO', { exact: true }).waitFor();
    assert((await sso.getByLabel('Redirect URI', { exact: true }).inputValue()).endsWith('/v1/auth/oidc/callback'), 'the redirect URI is shown');
    const domains = page.getByRole('region', { name: 'E-mail domains' });
    const row = domains.getByRole('rowgroup').filter({ has: page.getByRole('rowheader', { name: pending, exact: true }) });
    await row.getByText('pending', { exact: true }).waitFor();
    assert((await row.getByLabel('TXT record value').inputValue()) === claimed.body.txt_value, 'the record to publish is shown');
    const writes = await writeControls(page);
    assert(writes.length === 0, `write controls for an auditor: ${writes.join(', ')}`);
    for (const name of ['Edit settings', 'Remove single sign-on', 'Set up single sign-on', 'Add domain', /^Verify /, /^Remove the domain/]) {
      assert((await page.getByRole('button', { name }).count()) === 0, `no “${name}” button for an auditor`);
    }
    assert((await page.locator('main input:not([readonly]), main textarea, main select').count()) === 0, 'no field to edit for an auditor');
    await shot(page, 'auditor-identity-sso');
    await axe(page, 'auditor identity provider');
    await assertClean(page, incidents);
  } finally {
    await call('DELETE', `/v1/tenant/domains/${pending}`);
  }
});

test('platform admin: retention bounds (a floor above the ceiling is refused inline), holds of every tenant, platform sinks', async ({ page, incidents }) => {
  const saved = await platformRetention();
  try {
    await signInConsole(page);
    await open(page, 'Retention defaults');
    const form = page.getByRole('region', { name: 'Default, floor and ceiling' });
    await setPeriod(form, 'Floor: Shares (days)', '9');
    await setPeriod(form, 'Ceiling: Shares (days)', '3');
    await form.getByRole('button', { name: 'Save platform retention' }).click();
    await confirmDialog(page, 'Save platform retention');
    await form.getByRole('alert').filter({ hasText: 'the floor (9 days) is above the ceiling (3 days)' }).first().waitFor();
    const unchanged = await platformRetention();
    assert(JSON.stringify(unchanged) === JSON.stringify(saved), `nothing changed: ${JSON.stringify(unchanged)}`);
    await shot(page, 'platform-retention-refused');

    await setPeriod(form, 'Ceiling: Shares (days)', '400');
    await setPeriod(form, 'Default: Shares (days)', '90');
    await form.getByRole('button', { name: 'Save platform retention' }).click();
    await confirmDialog(page, 'Save platform retention');
    await page.getByRole('status').getByText('Platform retention saved.').waitFor();
    const now = await platformRetention();
    assert(now.floor.share_days === 9 && now.ceiling.share_days === 400 && now.default.share_days === 90, `saved: ${JSON.stringify(now)}`);
    await page.getByRole('region', { name: 'Legal holds in every tenant' }).waitFor();
    await shot(page, 'platform-retention');
    await axe(page, 'retention defaults');

    // The tenant's view shows the new bounds.
    await open(page, 'Retention and legal holds');
    await page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /^Shares/ }) }).getByRole('cell', { name: '9 days to 400 days' }).waitFor();

    await open(page, 'Platform SIEM sinks');
    await page.getByText('No sinks.').waitFor();
    await page.getByRole('button', { name: 'Add a sink' }).waitFor();
    await shot(page, 'platform-siem');
    await axe(page, 'platform SIEM sinks');
    await assertClean(page, incidents);
  } finally {
    await restorePlatformRetention(saved);
  }
});

test('an auditor reads retention, legal holds and sinks, and can change none of them', async ({ page, incidents }) => {
  const { call } = await admin();
  const hold = await call('POST', '/v1/tenant/legal-holds', { scope: 'tenant', subject_id: null, case_name: 'Audit readiness', reason: 'Keep everything during the audit.' });
  assert(hold.status === 201, JSON.stringify(hold.body));
  const sink = await call('POST', '/v1/tenant/audit-sinks', { name: 'Auditor-visible sink', kind: 'webhook', url: 'https://siem.invalid/a', secret: 'another-secret-0123456789' });
  assert(sink.status === 201, JSON.stringify(sink.body));
  try {
    const auditor = await account('auditor', 'auditor');
    await signInConsole(page, auditor);
    await open(page, 'Retention and legal holds');
    const holds = page.getByRole('region', { name: 'Legal holds' });
    await holds.getByRole('row').filter({ hasText: 'Audit readiness' }).getByText('Whole tenant').waitFor();
    assert((await page.locator('main input[type="text"], main textarea').count()) === 0, 'no period fields for an auditor');
    for (const name of ['Save policy', 'Place a legal hold', /^Release/]) {
      assert((await page.getByRole('button', { name }).count()) === 0, `no “${name}” button for an auditor`);
    }
    await page.getByRole('region', { name: 'What the next purge would delete' }).getByRole('row').nth(1).waitFor();
    await shot(page, 'auditor-retention-holds');
    await axe(page, 'auditor retention');
    await open(page, 'SIEM sinks');
    await page.getByRole('row').filter({ hasText: 'Auditor-visible sink' }).waitFor();
    for (const name of ['Add a sink', /^Send a test event/, /^Delete the sink/, /^Pause delivery/]) {
      assert((await page.getByRole('button', { name }).count()) === 0, `no “${name}” button for an auditor`);
    }
    await shot(page, 'auditor-siem-sinks');
    await axe(page, 'auditor SIEM sinks');
    await assertClean(page, incidents);
  } finally {
    await call('POST', `/v1/tenant/legal-holds/${hold.body.id}/release`);
    await call('DELETE', `/v1/tenant/audit-sinks/${sink.body.id}`);
  }
});

test('an auditor sees read-only views, with no button that changes anything', async ({ page, incidents }) => {
  const auditor = await account('auditor', 'auditor');
  await signInConsole(page, auditor);
  const links = await nav(page).getByRole('link').allTextContents();
  assert(links.includes('Users'), `auditors read the user list: ${links}`);
  assert(!links.includes('Sharing') && !links.includes('Tenants'), `no admin-only views: ${links}`);
  await nav(page).getByText('Read-only (auditor)').waitFor();
  for (const view of links) {
    await open(page, view);
    await page.waitForTimeout(400);
    const writes = await writeControls(page);
    assert(writes.length === 0, `${view}: write controls for an auditor: ${writes.join(', ')}`);
    await axe(page, `auditor ${view}`);
    await shot(page, `auditor-${view.toLowerCase().replace(/\W+/g, '-')}`);
  }
  await open(page, 'Plugins');
  const settings = page.getByRole('button', { name: /^Settings of / }).first();
  if (await settings.count()) {
    await settings.click();
    const d = dialog(page);
    await d.waitFor();
    const writes = await writeControls(page);
    assert(writes.length === 0, `plugin settings for an auditor: ${writes.join(', ')}`);
    await d.getByRole('button', { name: 'Close' }).first().click();
  }
  await assertClean(page, incidents);
});

test('hostile text in names, prompts, manifests, audit details and share titles runs nothing', async ({ page, incidents }) => {
  const { call } = await admin();
  const stamp = Date.now() % 100000;
  const user = await call('POST', '/v1/users', { email: `xss-${stamp}@acme.example`, password: PASSWORD, role: 'member', display_name: XSS });
  assert([200, 201].includes(user.status), JSON.stringify(user.body));
  const preset = await call('POST', '/v1/presets', { name: `${XSS.slice(0, 60)} ${stamp}`, description: XSS_LINK, system_prompt: `${XSS}\n[click](${XSS_LINK})`, source: 'tenant' });
  assert([200, 201].includes(preset.status), JSON.stringify(preset.body));
  if (existsSync(PLUGINS_DIR)) {
    await uploadPlugin('policy-preamble', (m) => ({
      ...m,
      name: 'xss-probe',
      version: `0.1.${stamp}`,
      description: `${XSS} ${XSS_LINK}`,
      config_schema: { type: 'object', properties: { text: { type: 'string', title: XSS, description: XSS } }, additionalProperties: false },
    }));
  }
  const conv = await call('POST', '/v1/conversations', { title: XSS });
  const sent = await call('POST', `/v1/conversations/${conv.body.id}/messages`, { content: `${XSS} [upstream tokens=3]` }, { 'Idempotency-Key': `xss-${stamp}` });
  await eventually('the answer', async () => (await call('GET', `/v1/messages/${sent.body.assistant_message.id}`)).body.status === 'completed');
  const share = await call('POST', `/v1/conversations/${conv.body.id}/shares`, { visibility: 'tenant', title: XSS });
  assert(share.status === 201, JSON.stringify(share.body));
  await call('POST', '/v1/tenants', { name: `${XSS} ${stamp}`, slug: `xss-${stamp}` });
  const hold = await call('POST', '/v1/tenant/legal-holds', { scope: 'user', subject_id: user.body.id, case_name: `${XSS} ${stamp}`, reason: `${XSS}\n${XSS_LINK}` });
  assert(hold.status === 201, JSON.stringify(hold.body));
  const sink = await call('POST', '/v1/tenant/audit-sinks', { name: `${XSS.slice(0, 90)}`, kind: 'webhook', url: `https://siem.invalid/${XSS}?next=${XSS_LINK}`, secret: 'xss-secret-0123456789abcdef' });
  assert(sink.status === 201, JSON.stringify(sink.body));

  await signInConsole(page);
  const check = async (what) => {
    await page.waitForTimeout(300); // give any handler its chance
    await assertNoInjectedMarkup(page);
    await assertClean(page, incidents);
    assert((await page.evaluate(() => window.__xss ?? null)) === null, `script ran on ${what}`);
  };
  await open(page, 'Users');
  await page.getByRole('searchbox', { name: 'Search' }).fill(`xss-${stamp}`);
  await page.getByText('<img src=x', { exact: false }).first().waitFor();
  await check('users');
  await open(page, 'Presets');
  await page.getByText(`${stamp}`, { exact: false }).first().waitFor();
  await check('presets');
  await open(page, 'Plugins');
  await check('plugins');
  const probe = page.getByRole('button', { name: 'Add to chain: xss-probe' });
  if (await probe.count()) {
    await probe.click();
    await dialog(page).getByText('<script>window.__xss=3</script>', { exact: false }).first().waitFor();
    await check('plugin configuration');
    await shot(page, 'xss-plugin-config');
    await dialog(page).getByRole('button', { name: 'Cancel' }).click();
  }
  await open(page, 'Sharing');
  await page.getByRole('rowheader', { name: /<img src=x/ }).first().waitFor();
  await check('sharing');
  await open(page, 'Audit log');
  for (const action of ['preset.created', 'user.created', 'share.created']) {
    await page.getByLabel('Action').fill(action);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.locator('.audit-table tbody tr').first().getByRole('button', { name: /Details of entry/ }).click();
    await dialog(page).locator('pre.json').waitFor();
    await check(`audit ${action}`);
    await dialog(page).getByRole('button', { name: 'Close' }).click();
  }
  await open(page, 'Retention and legal holds');
  await page.getByRole('rowheader', { name: new RegExp(`${stamp}`) }).waitFor();
  await check('legal holds');
  await page.getByRole('button', { name: /^Release the hold “<img/ }).click();
  await dialog(page).getByText('<img src=x', { exact: false }).first().waitFor();
  await check('release confirmation');
  await dialog(page).getByRole('button', { name: 'Cancel' }).click();
  await shot(page, 'xss-legal-holds');
  await open(page, 'SIEM sinks');
  await page.getByRole('rowheader', { name: /<img src=x/ }).waitFor();
  await check('SIEM sinks');
  await page.getByRole('button', { name: /^Delete the sink <img/ }).click();
  await check('sink delete confirmation');
  await dialog(page).getByRole('button', { name: 'Cancel' }).click();
  await shot(page, 'xss-siem-sinks');
  await call('POST', `/v1/tenant/legal-holds/${hold.body.id}/release`);
  await call('DELETE', `/v1/tenant/audit-sinks/${sink.body.id}`);
  // The identity provider names groups and tokens; hostile ones render as text too.
  const mappingsBefore = (await call('GET', '/v1/tenant/role-mappings')).body;
  const token = await call('POST', '/v1/tenant/scim/tokens', { name: XSS.slice(0, 100) });
  assert(token.status === 201, JSON.stringify(token.body));
  const mapped = await call('PUT', '/v1/tenant/role-mappings', { mappings: [...mappingsBefore.mappings, { group: `${XSS} ${stamp}`, role: 'auditor' }] });
  assert(mapped.status === 200, JSON.stringify(mapped.body));
  // Single sign-on names its button; a hostile name (and client id) renders as text.
  const sso = await call('PUT', '/v1/tenant/sso', { display_name: XSS, issuer: seed.sso.issuer, client_id: XSS, allowed_domains: [], jit_provisioning: false, allow_passwords: true, enabled: false });
  assert(sso.status === 200, `hostile single sign-on settings: ${sso.status} ${JSON.stringify(sso.body)}`);
  try {
    await open(page, 'Identity provider');
    await page.getByRole('rowheader', { name: /<img src=x/ }).first().waitFor();
    await check('SCIM tokens and group mapping');
    await page.getByRole('button', { name: /^Revoke the SCIM token <img/ }).click();
    await check('token revoke confirmation');
    await dialog(page).getByRole('button', { name: 'Cancel' }).click();
    const ssoSection = page.getByRole('region', { name: 'Single sign-on' });
    await ssoSection.getByText(XSS, { exact: true }).first().waitFor();
    await check('single sign-on settings');
    await ssoSection.getByRole('button', { name: 'Remove single sign-on' }).click();
    await dialog(page).getByText(`Sign in with ${XSS}`, { exact: false }).waitFor();
    await check('single sign-on removal confirmation');
    await dialog(page).getByRole('button', { name: 'Cancel' }).click();
    await shot(page, 'xss-identity');
    await ssoSection.getByRole('button', { name: 'Edit settings' }).click();
    assert((await ssoSection.getByLabel('Display name', { exact: true }).inputValue()) === XSS, 'the hostile name is in the field as typed');
    await check('single sign-on form');
    await ssoSection.getByRole('button', { name: 'Cancel' }).click();
  } finally {
    await call('DELETE', `/v1/tenant/scim/tokens/${token.body.token.id}`);
    await call('PUT', '/v1/tenant/role-mappings', mappingsBefore);
    await call('DELETE', '/v1/tenant/sso');
  }
  await open(page, 'Tenants');
  await check('tenants');
  await open(page, 'Plugin uploads');
  await check('plugin uploads');
  await open(page, 'Platform audit');
  await check('platform audit');
  await shot(page, 'xss-platform-audit');
});

test('every view: axe clean in dark theme, and usable at 768 px', async ({ page, incidents }) => {
  await signInConsole(page);
  await page.getByRole('button', { name: 'Switch to dark theme' }).click();
  assert((await page.evaluate(() => document.documentElement.dataset.theme)) === 'dark', 'dark theme');
  const links = await nav(page).getByRole('link').allTextContents();
  for (const view of links) {
    await open(page, view);
    await page.waitForTimeout(250);
    await axe(page, `dark ${view}`);
  }
  await open(page, 'Overview');
  await shot(page, 'overview-dark');
  await open(page, 'Plugins');
  await shot(page, 'plugins-dark');
  await open(page, 'Audit log');
  await shot(page, 'audit-dark');
  await open(page, 'Retention and legal holds');
  await shot(page, 'retention-dark');
  await open(page, 'SIEM sinks');
  await shot(page, 'siem-dark');
  await open(page, 'Retention defaults');
  await shot(page, 'platform-retention-dark');

  await page.setViewportSize({ width: 768, height: 900 });
  await page.getByRole('button', { name: 'Switch to light theme' }).click();
  for (const view of ['Overview', 'Users', 'Audit log', 'Plugins', 'Retention and legal holds', 'SIEM sinks', 'Identity provider', 'Retention defaults']) {
    await page.getByRole('button', { name: 'Menu' }).click();
    await open(page, view);
    await page.waitForTimeout(250);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 770 && !e.parentElement?.closest('.table-wrap')).slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className}`),
    );
    assert(width <= 768, `${view}: no sideways scrolling of the page at 768 px (${width}; too wide: ${wide.join(', ')})`);
    await axe(page, `768px ${view}`);
    await shot(page, `narrow-${view.toLowerCase().replace(/\W+/g, '-')}`);
  }
  await page.getByRole('button', { name: 'Menu' }).click();
  await shot(page, 'narrow-menu');
  await assertClean(page, incidents);
});

test('an ended session returns to sign-in with a message', async ({ context, page, incidents }) => {
  await signInConsole(page);
  await open(page, 'Users');
  assert((await page.title()) === 'Users · Confab admin', `the document title names the view: ${await page.title()}`);
  await context.clearCookies();
  await open(page, 'Audit log').catch(() => {});
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.getByText('Your session has ended').waitFor();
  await signInConsole(page);
  await assertClean(page, incidents);
});

test('the console also works mounted at /admin/ on the main listener', async ({ page, incidents }) => {
  const probe = await fetch(`${WEB}/admin`, { redirect: 'manual' });
  assert(probe.status === 308 && probe.headers.get('location') === '/admin/', `/admin redirects to /admin/: ${probe.status}`);
  assert((await fetch(`${WEB}/admin/`)).status === 200, 'the console is mounted at /admin/');
  const requests = [];
  page.on('request', (r) => r.url().includes('/v1/') && requests.push(new URL(r.url()).pathname));
  await page.goto(`${WEB}/admin/`);
  await page.getByLabel('E-mail').fill(seed.admin.email);
  await page.getByLabel('Password').fill(seed.admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await nav(page).waitFor();
  assert(requests.every((p) => p.startsWith('/admin/v1/')), `API calls under /admin/v1: ${requests.join(', ')}`);
  await assertClean(page, incidents);
});

// ---- run -------------------------------------------------------------------------------------
const only = process.env.E2E_ONLY;
const started = Date.now();
let passed = 0;
let failed = 0;
for (const t of tests) {
  if (only && !t.name.includes(only)) continue;
  const ctx = await newContext();
  try {
    await Promise.race([t.fn(ctx), new Promise((_, reject) => setTimeout(() => reject(new Failure('test timed out (150 s)')), 150000))]);
    passed += 1;
    console.log(`test admin e2e: ${t.name} ... ok`);
  } catch (e) {
    failed += 1;
    console.log(`test admin e2e: ${t.name} ... FAILED\n    ${e instanceof Failure ? e.message : e.stack}`);
    await ctx.page.screenshot({ path: join(OUT, `FAILED-${passed + failed}.png`) }).catch(() => {});
  } finally {
    await ctx.context.close();
  }
}
await browser.close();
server.stdin.end();
const secs = ((Date.now() - started) / 1000).toFixed(1);
const axeRuns = axeResults.length;
const minor = axeResults.reduce((n, r) => n + r.minor, 0);
console.log(`\naxe: ${axeRuns} pages and dialogs checked; ${axeResults.reduce((n, r) => n + r.serious, 0)} serious/critical, ${minor} moderate/minor violations`);
for (const r of axeResults.filter((r) => r.ids.length)) console.log(`  ${r.name}: ${r.ids.join(', ')}`);
for (const s of skipped) console.log(`skipped: ${s}`);
console.log(`\ntest result: ${failed ? 'FAILED' : 'ok'}. ${passed} passed; ${failed} failed; 0 ignored; 0 measured; 0 filtered out; finished in ${secs}s (admin e2e)`);
process.exit(failed ? 1 : 0);
