// End-to-end tests of the web chat in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) against the real `confab` binary and the scripted upstream, both started by
// the Rust tool `confab-web-e2e-server`. Prints one cargo-style `test result:` line.
//
//   npm run e2e            (after `npm run build` and `cargo build -p confab-server -p confab-tests`)
//   E2E_ONLY=stream npm run e2e      runs the tests whose name contains "stream"
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const TARGET = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME ?? '', '.cache/confab-target');
const SERVER_BIN = process.env.E2E_SERVER_BIN ?? join(TARGET, 'debug/confab-web-e2e-server');
const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
const OUT = new URL('../e2e-output/', import.meta.url).pathname;
const LONG_TURNS = Number(process.env.E2E_LONG_TURNS ?? 500);
mkdirSync(OUT, { recursive: true });

// ---- the real server -------------------------------------------------------------------------
const server = spawn(SERVER_BIN, ['--web-dir', 'dist', '--long-turns', String(LONG_TURNS)], { stdio: ['pipe', 'pipe', 'inherit'] });
const seed = await new Promise((resolve, reject) => {
  let buffer = '';
  server.on('exit', (code) => reject(new Error(`confab-web-e2e-server exited (${code})`)));
  server.stdout.on('data', (d) => {
    buffer += d;
    const nl = buffer.indexOf('\n');
    if (nl >= 0) resolve(JSON.parse(buffer.slice(0, nl)));
  });
});
const BASE = seed.base;
console.log(`e2e: confab at ${BASE}, scripted upstream at ${seed.upstream}`);

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

/** A TCP proxy in front of Confab whose connections can all be cut at once: a real network drop. */
async function cuttableProxy(target) {
  const { hostname, port } = new URL(target);
  const sockets = new Set();
  const proxy = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${proxy.address().port}`,
    cut: () => sockets.forEach((s) => s.destroy()),
    close: () => proxy.close(),
  };
}

// ---- a tiny harness --------------------------------------------------------------------------
const tests = [];
const test = (name, fn) => tests.push({ name, fn });

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
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A browser context whose pages record what must never happen: dialogs, CSP violations, errors. */
async function newContext(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  context.setDefaultTimeout(12000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  const incidents = [];
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
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
    // An error the page caught itself (the error boundary's "Something went wrong") is logged.
    else if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) incidents.push(`console error: ${m.text().slice(0, 500)}`);
  });
}
async function assertClean(page, incidents) {
  const violations = await page.evaluate(() => window.__violations ?? []);
  const xss = await page.evaluate(() => window.__xss ?? null);
  assert(violations.length === 0, `CSP violations: ${violations.join('; ')}`);
  assert(xss === null, `injected script ran: ${xss}`);
  assert(incidents.length === 0, `incidents: ${incidents.join('; ')}`);
}

// ---- helpers ---------------------------------------------------------------------------------
async function signIn(page, user = seed.admin, screenshot = null) {
  await page.goto(`${BASE}/`);
  await page.getByLabel('E-mail').waitFor();
  if (screenshot) await shot(page, screenshot);
  await page.getByLabel('E-mail').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: '+ New chat' }).waitFor();
}
const composer = (page) => page.locator('#composer-text');
async function send(page, text) {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}
const assistants = (page) => page.locator('article.message-assistant');
const users = (page) => page.locator('article.message-user');
async function status(locator) {
  return locator.getAttribute('data-status');
}
async function waitStatus(locator, wanted, timeout = 20000) {
  await eventually(`status ${wanted}`, async () => (await status(locator)) === wanted, timeout);
}
function tokens(text) {
  return (text.match(/\bt\d+\b/g) ?? []).join(' ');
}
function expected(n) {
  return Array.from({ length: n }, (_, i) => `t${i}`).join(' ');
}
async function answerText(locator) {
  return (await locator.locator('.md').textContent()) ?? '';
}
async function newChat(page) {
  await page.getByRole('button', { name: '+ New chat' }).click();
  await composer(page).waitFor();
}
async function conversationId(page) {
  await eventually('a conversation URL', async () => /\/c\//.test(page.url()));
  return page.url().split('/c/')[1];
}
async function shot(page, name) {
  await page.screenshot({ path: join(OUT, `${name}.png`) });
}

// ---- the tests -------------------------------------------------------------------------------
test('sign in, send, and watch the answer stream token by token', async ({ page, incidents }) => {
  await signIn(page, seed.admin, 'sign-in');
  await shot(page, 'home-light');
  await send(page, 'Stream please [upstream tokens=40 delay_ms=40]');
  const answer = assistants(page).last();
  // Seen mid-stream: some tokens, not yet the last one.
  await eventually('a partly streamed answer', async () => {
    const t = tokens(await answerText(answer));
    return t.includes('t5') && !t.includes('t39');
  });
  await waitStatus(answer, 'completed');
  assert(tokens(await answerText(answer)) === expected(40), 'the whole answer, once, in order');
  await page.locator('nav').getByRole('link', { name: /Stream please/ }).waitFor();
  await shot(page, 'chat-light');
  await assertClean(page, incidents);
});

test('Escape stops an answer and keeps what was written', async ({ page, incidents }) => {
  await signIn(page);
  await send(page, 'A long one [upstream tokens=400 delay_ms=30]');
  const answer = assistants(page).last();
  await eventually('streaming', async () => tokens(await answerText(answer)).includes('t5'));
  await page.keyboard.press('Escape');
  await waitStatus(answer, 'cancelled');
  await answer.getByText('Stopped.').waitFor();
  const t = tokens(await answerText(answer));
  assert(t.startsWith('t0 t1') && !t.includes('t399'), `kept a prefix only: ${t.slice(-40)}`);
  await assertClean(page, incidents);
});

test('regenerate, then navigate the answers ‹ 1 / 2 ›', async ({ page, incidents }) => {
  await signIn(page);
  await send(page, 'Regenerate me [upstream tokens=5]');
  await waitStatus(assistants(page).last(), 'completed');
  await assistants(page).last().getByRole('button', { name: 'Regenerate' }).click();
  const answer = assistants(page).last();
  await answer.getByText('2 / 2').waitFor();
  await waitStatus(answer, 'completed');
  await answer.getByRole('button', { name: 'Previous version' }).click();
  await assistants(page).last().getByText('1 / 2').waitFor();
  await assistants(page).last().getByRole('button', { name: 'Next version' }).click();
  await assistants(page).last().getByText('2 / 2').waitFor();
  await assertClean(page, incidents);
});

test('editing a message makes a new branch; both stay reachable', async ({ page, incidents }) => {
  await signIn(page);
  await send(page, 'Original question [upstream tokens=4]');
  await waitStatus(assistants(page).last(), 'completed');
  await users(page).last().getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Edit message').fill('Edited question [upstream tokens=6]');
  await page.getByRole('button', { name: 'Save and send' }).click();
  await users(page).last().getByText('2 / 2').waitFor();
  await users(page).last().getByText('Edited question').waitFor();
  await waitStatus(assistants(page).last(), 'completed');
  assert(tokens(await answerText(assistants(page).last())) === expected(6), 'the new branch has the new answer');
  await users(page).last().getByRole('button', { name: 'Previous version' }).click();
  await users(page).last().getByText('Original question').waitFor();
  await users(page).last().getByText('1 / 2').waitFor();
  await eventually('the old answer', async () => tokens(await answerText(assistants(page).last())) === expected(4));
  await assertClean(page, incidents);
});

test('a reload mid-stream reattaches and completes without duplication', async ({ page, incidents }) => {
  await signIn(page);
  await send(page, 'Survive a reload [upstream tokens=80 delay_ms=40]');
  await eventually('streaming', async () => tokens(await answerText(assistants(page).last())).includes('t10'));
  await page.reload();
  const answer = assistants(page).last();
  await waitStatus(answer, 'completed');
  const t = tokens(await answerText(answer));
  assert(t === expected(80), `exactly t0..t79 once each, got ${t.length} chars`);
  assert((await users(page).count()) === 1, 'one question');
  await assertClean(page, incidents);
});

test('a network drop mid-stream reconnects with Last-Event-ID and shows the rest', async ({ page, incidents }) => {
  const proxy = await cuttableProxy(BASE);
  try {
    await page.goto(`${proxy.url}/`);
    await page.getByLabel('E-mail').fill(seed.admin.email);
    await page.getByLabel('Password').fill(seed.admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await send(page, 'Survive a drop [upstream tokens=80 delay_ms=40]');
    const answer = assistants(page).last();
    await eventually('streaming', async () => tokens(await answerText(answer)).includes('t10'));
    const attaches = [];
    page.on('request', (r) => r.url().includes('/events') && attaches.push(r.headers()['last-event-id']));
    proxy.cut();
    await waitStatus(answer, 'completed');
    assert(tokens(await answerText(answer)) === expected(80), 'no gap, no duplicate');
    assert(attaches.some((id) => id && Number(id) > 0), `reattached after the drop with Last-Event-ID (${attaches})`);
    await assertClean(page, incidents);
  } finally {
    proxy.close();
  }
});

test('a send whose answer is lost is retried with the same key: no duplicate', async ({ page, incidents }) => {
  await signIn(page);
  await send(page, 'First [upstream tokens=2]');
  await waitStatus(assistants(page).last(), 'completed');
  const id = await conversationId(page);
  let cut = false;
  await page.route('**/v1/conversations/*/messages', async (route) => {
    if (cut) return route.continue();
    cut = true;
    await route.fetch(); // the server gets it and creates the turn…
    await route.abort('failed'); // …but the browser never sees the answer
  });
  await send(page, 'Exactly once [upstream tokens=3]');
  await page.getByText('Confab could not be reached').waitFor();
  await page.getByRole('button', { name: 'Retry' }).click();
  await eventually('two answers', async () => (await assistants(page).count()) === 2);
  await waitStatus(assistants(page).last(), 'completed');
  assert((await users(page).filter({ hasText: 'Exactly once' }).count()) === 1, 'shown once');
  const detail = await (await page.request.get(`${BASE}/v1/conversations/${id}?view=tree`)).json();
  const copies = detail.messages.filter((m) => m.content.startsWith('Exactly once'));
  assert(copies.length === 1, `stored once, found ${copies.length}`);
  await assertClean(page, incidents);
});

test('partial and failed answers are shown as such, with Continue and Retry', async ({ page, incidents }) => {
  await signIn(page);
  await send(page, 'Cut short [upstream tokens=20 drop_after=5]');
  const answer = assistants(page).last();
  await waitStatus(answer, 'partial');
  await answer.getByText('This answer was interrupted before it finished.').waitFor();
  const continued = page.waitForResponse((r) => r.url().endsWith('/continue') && r.request().method() === 'POST');
  await answer.getByRole('button', { name: 'Continue' }).click();
  assert((await continued).status() === 202, 'Continue started a turn');

  await newChat(page);
  await send(page, 'Broken provider [upstream status=400]');
  const failed = assistants(page).last();
  await waitStatus(failed, 'failed');
  await failed.getByText(/This answer failed\./).waitFor();
  await shot(page, 'failed-answer');
  const retried = page.waitForResponse((r) => r.url().endsWith('/regenerate') && r.request().method() === 'POST');
  await failed.getByRole('button', { name: 'Retry' }).click();
  assert((await retried).status() === 202, 'Retry started a new answer');
  await assistants(page).last().getByText('2 / 2').waitFor();
  await assertClean(page, incidents);
});

test('an unsent draft survives a reload', async ({ page, incidents }) => {
  await signIn(page);
  await composer(page).fill('Half-written thought');
  await page.waitForTimeout(300);
  await page.reload();
  await eventually('the draft back', async () => (await composer(page).inputValue()) === 'Half-written thought');
  await composer(page).press('Shift+Enter');
  await composer(page).type('second line');
  const value = await composer(page).inputValue();
  assert(value === 'Half-written thought\nsecond line', `Shift+Enter is a new line: ${JSON.stringify(value)}`);
  assert((await users(page).count()) === 0, 'nothing was sent');
  await composer(page).fill('');
  await assertClean(page, incidents);
});

test('share a link snapshot: readable signed out; a tenant share is not found in another tenant', async ({ page, incidents }) => {
  await signIn(page);
  await send(page, 'Worth sharing [upstream tokens=7]');
  await waitStatus(assistants(page).last(), 'completed');
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Who can see it').selectOption('link');
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const link = await eventually('a link', async () => dialog.getByLabel('Share link').inputValue());
  assert(link.includes('/s/'), link);
  await shot(page, 'share-dialog-light');

  const anon = await newContext();
  await anon.page.goto(link);
  await anon.page.getByRole('heading', { name: /Worth sharing/ }).waitFor();
  await anon.page.getByText('Read-only snapshot').waitFor();
  assert(tokens((await anon.page.locator('.md').first().textContent()) ?? '') === expected(7), 'the answer is in the snapshot');
  await shot(anon.page, 'snapshot-signed-out');
  await anon.page.setViewportSize({ width: 360, height: 740 });
  assert((await anon.page.evaluate(() => document.documentElement.scrollWidth)) <= 360, 'snapshot fits 360 px');
  await shot(anon.page, 'snapshot-narrow');
  await assertClean(anon.page, anon.incidents);
  await anon.context.close();

  await dialog.getByLabel('Who can see it').selectOption('tenant');
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const tenantLink = await eventually('a tenant link', async () => {
    const v = await dialog.getByLabel('Share link').inputValue();
    return v.includes('/shared/') && v;
  });
  await eventually('two shares listed', async () => (await dialog.getByRole('button', { name: 'Revoke' }).count()) === 2);

  const other = await newContext();
  await signIn(other.page, seed.other_tenant_user);
  await other.page.goto(tenantLink);
  await other.page.getByRole('heading', { name: 'Snapshot unavailable' }).waitFor();
  await other.page.getByText('not found').waitFor();
  await other.context.close();

  // Revoking the link share makes its page unavailable.
  await dialog.getByRole('button', { name: 'Revoke' }).first().click();
  await eventually('one share left', async () => (await dialog.getByRole('button', { name: 'Revoke' }).count()) === 1);
  await assertClean(page, incidents);
});

test('a share with named people opens for them only', async ({ page, incidents }) => {
  await signIn(page);
  await send(page, 'For Carol only [upstream tokens=3]');
  await waitStatus(assistants(page).last(), 'completed');
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Who can see it').selectOption('users');
  await dialog.getByLabel('E-mail addresses').fill(seed.quota_user.email);
  await dialog.getByLabel('Expires').selectOption({ label: '7 days' });
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const link = await eventually('a link', async () => {
    const v = await dialog.getByLabel('Share link').inputValue();
    return v.includes('/shared/') && v;
  });
  await dialog.getByText(/Only the people I name · until/).waitFor();

  const named = await newContext();
  await signIn(named.page, seed.quota_user);
  await named.page.goto(link);
  await named.page.getByRole('heading', { name: /For Carol only/ }).waitFor();
  await named.page.getByText(/available until/).waitFor();
  await assertClean(named.page, named.incidents);
  await named.context.close();

  const colleague = await newContext();
  await signIn(colleague.page, seed.many_conversations_user);
  await colleague.page.goto(link);
  await colleague.page.getByRole('heading', { name: 'Snapshot unavailable' }).waitFor();
  await colleague.context.close();
  await assertClean(page, incidents);
});

test('a spent quota is explained: what is left and when it resets', async ({ page, incidents }) => {
  await signIn(page, seed.quota_user);
  await send(page, 'Anything');
  const alert = page.getByRole('alert').filter({ hasText: 'tokens' });
  await alert.waitFor();
  const text = await alert.textContent();
  assert(/0 left/.test(text) && /resets/.test(text), text);
  await shot(page, 'quota-429');
  await assertClean(page, incidents);
});

test('hostile model output runs no script, in the chat and in the snapshot page', async ({ page, incidents }) => {
  await signIn(page);
  await send(page, 'Render this [upstream corpus=xss delay_ms=3]');
  const answer = assistants(page).last();
  await waitStatus(answer, 'completed', 30000);
  await answer.getByRole('heading', { name: 'Hostile output' }).waitFor();
  await page.waitForTimeout(500); // give any handler (onerror, ontoggle) its chance
  const check = async (p) => {
    const bad = await p.evaluate(() => {
      const root = document.querySelectorAll('.md');
      const found = [];
      for (const md of root) {
        for (const el of md.querySelectorAll('*')) {
          const tag = el.tagName.toLowerCase();
          if (['script', 'iframe', 'svg', 'img', 'style', 'math', 'form', 'details', 'object', 'embed'].includes(tag)) found.push(tag);
          for (const a of el.attributes) {
            if (/^on/i.test(a.name) || a.name === 'style' || a.name === 'srcdoc') found.push(`${tag}[${a.name}]`);
            if (a.name === 'href' && !/^(https?:|mailto:|#)/i.test(a.value)) found.push(`href=${a.value}`);
          }
        }
      }
      const safe = [...document.querySelectorAll('.md a[href="https://example.com/docs"]')];
      return { found, safe: safe.map((a) => a.getAttribute('rel')) };
    });
    assert(bad.found.length === 0, `injected markup: ${bad.found.join(', ')}`);
    assert(bad.safe.length === 1 && bad.safe[0].includes('noopener') && bad.safe[0].includes('noreferrer'), `safe link kept: ${bad.safe}`);
  };
  await check(page);
  assert((await answer.textContent()).includes("<script>window.__xss = 'script'"), 'raw HTML is shown as text');
  await shot(page, 'hostile-output');
  await assertClean(page, incidents);

  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Who can see it').selectOption('link');
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const link = await eventually('a link', async () => dialog.getByLabel('Share link').inputValue());
  const anon = await newContext();
  await anon.page.goto(link);
  await anon.page.getByRole('heading', { name: 'Hostile output' }).waitFor();
  await anon.page.waitForTimeout(500);
  await check(anon.page);
  await assertClean(anon.page, anon.incidents);
  await anon.context.close();
});

test('conversation list: rename, search with highlights, archive, delete with undo', async ({ page, incidents }) => {
  await signIn(page);
  await send(page, 'Pelicans migrate in autumn [upstream tokens=3]');
  await waitStatus(assistants(page).last(), 'completed');
  const id = await conversationId(page);
  const nav = page.locator('nav');
  await nav.getByRole('button', { name: /^Rename “Pelicans/ }).click();
  await nav.getByLabel('New title').fill('Bird notes');
  await nav.getByRole('button', { name: 'Save' }).click();
  await nav.getByRole('link', { name: 'Bird notes' }).waitFor();

  await nav.getByLabel('Search conversations').fill('pelicans');
  await eventually('a highlighted hit', async () => ((await nav.locator('mark').first().textContent()) ?? '').toLowerCase() === 'pelicans');
  await shot(page, 'search');
  await nav.getByLabel('Search conversations').fill('');

  await nav.getByRole('button', { name: 'Archive “Bird notes”' }).click();
  await eventually('gone from the list', async () => (await nav.getByRole('link', { name: 'Bird notes' }).count()) === 0);
  await nav.getByLabel('Show archived').check();
  await nav.getByRole('link', { name: 'Bird notes' }).waitFor();
  await nav.getByRole('button', { name: 'Unarchive “Bird notes”' }).click();
  await nav.getByLabel('Show archived').uncheck();
  await nav.getByRole('link', { name: 'Bird notes' }).waitFor();

  await nav.getByRole('button', { name: 'Delete “Bird notes”' }).click();
  await eventually('gone', async () => (await nav.getByRole('link', { name: 'Bird notes' }).count()) === 0);
  await page.getByRole('status').filter({ hasText: 'deleted' }).getByRole('button', { name: 'Undo' }).click();
  await nav.getByRole('link', { name: 'Bird notes' }).waitFor();
  assert((await page.request.get(`${BASE}/v1/conversations/${id}`)).status() === 200, 'undone: still there');

  // Without undo, the deletion happens once the undo window (6 s) has passed.
  await nav.getByRole('button', { name: 'Delete “Bird notes”' }).click();
  await page.getByRole('button', { name: '+ New chat' }).waitFor();
  await eventually('deleted on the server', async () => (await page.request.get(`${BASE}/v1/conversations/${id}`)).status() === 404, 12000);
  await page.reload();
  await page.getByRole('button', { name: '+ New chat' }).waitFor();
  assert((await nav.getByRole('link', { name: 'Bird notes' }).count()) === 0, 'gone after a reload');
  await assertClean(page, incidents);
});

test('the conversation list is newest first and loads more as it scrolls', async ({ page, incidents }) => {
  await signIn(page, seed.many_conversations_user);
  const links = page.locator('nav .conversations a');
  await eventually('the first page', async () => (await links.count()) === 30);
  assert((await links.first().textContent()) === 'Topic 45', 'newest first');
  await page.locator('nav .conversations').evaluate((el) => (el.scrollTop = el.scrollHeight));
  await eventually('the rest', async () => (await links.count()) === 45);
  assert((await links.last().textContent()) === 'Topic 1', 'oldest last');
  await assertClean(page, incidents);
});

test('personal presets: create, edit into a new version, see versions, pick in a new chat', async ({ page, incidents }) => {
  await signIn(page);
  await page.getByRole('link', { name: 'My presets' }).click();
  await page.getByRole('button', { name: 'New preset' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Terse');
  await page.getByLabel('System prompt', { exact: true }).fill('Answer in one line.');
  await page.locator('.preset-form select[name="model"]').selectOption('claude');
  await page.getByRole('button', { name: 'Create' }).click();
  const row = page.locator('.preset-list li').filter({ hasText: 'Terse' });
  await row.getByText('v1').waitFor();
  await row.getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Description', { exact: true }).fill('Short answers');
  await page.getByRole('button', { name: 'Save as new version' }).click();
  await row.getByText('v2').waitFor();
  await row.getByRole('button', { name: 'Versions' }).click();
  await eventually('two versions', async () => (await page.locator('.versions li').count()) === 2);
  await shot(page, 'presets');
  await newChat(page);
  await page.getByLabel('Preset').selectOption({ label: 'Terse · v2 · personal' });
  const modelChoice = await page.locator('.composer').getByLabel('Model').evaluate((el) => el.options[el.selectedIndex].text);
  assert(modelChoice === "Preset's model (claude)", `the model picker names the preset's model: ${modelChoice}`);
  await send(page, 'Hello preset [upstream tokens=2]');
  await page.locator('.chat-head').getByText('Terse · v2').waitFor();
  // The composer leaves the model to the preset: the answer comes from the preset's model.
  await waitStatus(assistants(page).last(), 'completed');
  assert((await assistants(page).last().locator('.message-meta .who').textContent()) === 'claude', "the preset's model answered");
  await assertClean(page, incidents);
});

test('a member of two tenants switches between them; sign out', async ({ page, incidents }) => {
  await signIn(page, seed.two_tenant_user);
  await send(page, 'Acme only [upstream tokens=2]');
  await waitStatus(assistants(page).last(), 'completed');
  const nav = page.locator('nav');
  await nav.getByRole('link', { name: /Acme only/ }).waitFor();
  const tenant = nav.getByLabel('Organisation');
  await tenant.selectOption({ label: 'globex' });
  await nav.getByText('No conversations yet.').waitFor();
  assert((await nav.getByRole('link', { name: /Acme only/ }).count()) === 0, "another tenant's conversation is not listed");
  await tenant.selectOption({ label: 'Acme' });
  await nav.getByRole('link', { name: /Acme only/ }).waitFor();
  await nav.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  const me = await page.request.get(`${BASE}/v1/me`);
  assert(me.status() === 401, `signed out for real (${me.status()})`);
  await assertClean(page, incidents);
});

test('an ended session returns to sign-in with a message', async ({ context, page, incidents }) => {
  await signIn(page);
  // The chat's first loads (conversations, models, presets) must be done: a 401 on one of them
  // would end the session before the send this test is about.
  await composer(page).waitFor();
  await page.waitForLoadState('networkidle');
  await context.clearCookies();
  await send(page, 'After the session ended');
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.getByText('Your session has ended').first().waitFor();
  await assertClean(page, incidents);
});

test('dark theme and a 360 px wide screen', async ({ page, incidents }) => {
  await signIn(page);
  await send(page, 'Show me a table and code\n\n[upstream corpus=xss]');
  await waitStatus(assistants(page).last(), 'completed');
  await page.locator('.md table').waitFor();
  await page.getByRole('button', { name: 'Switch to dark theme' }).click();
  assert((await page.evaluate(() => document.documentElement.dataset.theme)) === 'dark', 'dark theme');
  await shot(page, 'chat-dark');
  await page.setViewportSize({ width: 360, height: 740 });
  await page.waitForTimeout(200);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert(width <= 360, `no sideways scrolling at 360 px (${width})`);
  await shot(page, 'chat-narrow-dark');
  await page.getByRole('button', { name: 'Show conversations' }).click();
  await page.waitForTimeout(300);
  await shot(page, 'sidebar-narrow-dark');
  await page.getByRole('button', { name: 'Hide conversations' }).click();
  await assertClean(page, incidents);
});

test('a long conversation opens fast and renders only what is in view', async ({ page, incidents }) => {
  if (!seed.long_conversation) return;
  await signIn(page);
  const started = Date.now();
  await page.goto(`${BASE}/c/${seed.long_conversation}`);
  await page.getByText(`Question number ${LONG_TURNS - 1}:`).waitFor();
  const openMs = Date.now() - started;
  const rendered = await page.locator('article.message').count();
  assert(rendered < 60, `virtualised: ${rendered} rows in the DOM for ${LONG_TURNS * 2} messages`);
  // Scroll to the top and back; the first question appears.
  await page.locator('.messages').evaluate((el) => (el.scrollTop = 0));
  await page.getByText('Question number 0:').waitFor();
  console.log(`e2e: ${LONG_TURNS * 2}-message conversation opened in ${openMs} ms (${rendered} rows rendered)`);
  await shot(page, 'long-conversation');
  await assertClean(page, incidents);
});

test('several answers side by side: stop one, a reload resumes them all, use this answer', async ({ page, incidents }) => {
  await signIn(page);
  await page.getByLabel('Answers').selectOption('3');
  // Five seconds each: long enough that the Stop below comes while the second is still being
  // written, even on a loaded machine (the screenshots and the resizing come first).
  await send(page, 'Three ways [upstream tokens=100 delay_ms=50]');
  const board = page.locator('section.choices');
  const choices = board.locator('article.choice');
  await eventually('three answers streaming at once', async () => {
    if ((await choices.count()) !== 3) return false;
    const texts = await Promise.all([0, 1, 2].map(async (i) => tokens(await answerText(choices.nth(i)))));
    return texts.every((t) => t.includes('t3') && !t.includes('t99'));
  });
  await shot(page, 'choices-desktop');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert(width <= 390, `stacked, no sideways scrolling at 390 px (${width})`);
  const [a, b] = await Promise.all([choices.nth(0).boundingBox(), choices.nth(1).boundingBox()]);
  assert(a && b && b.y > a.y + a.height - 1, 'stacked on a phone');
  await shot(page, 'choices-phone');
  await page.setViewportSize({ width: 1280, height: 800 });
  await choices.nth(1).getByRole('button', { name: 'Stop' }).click();
  await waitStatus(choices.nth(1), 'cancelled');
  await page.reload();
  await board.waitFor();
  await waitStatus(choices.nth(0), 'completed');
  await waitStatus(choices.nth(2), 'completed');
  for (const i of [0, 2]) assert(tokens(await answerText(choices.nth(i))) === expected(100), `answer ${i + 1}: whole, once, in order`);
  assert((await status(choices.nth(1))) === 'cancelled', 'the stopped one stays stopped');
  await shot(page, 'choices-finished');
  await choices.nth(2).getByRole('button', { name: 'Use this answer' }).click();
  await eventually('the board gives way to the picked answer', async () => (await board.count()) === 0);
  await assistants(page).last().getByText('3 / 3').waitFor();
  assert(tokens(await answerText(assistants(page).last())) === expected(100), 'the picked answer is the branch');
  await assertClean(page, incidents);
});

// ---- private mode: conversations kept only in this browser ---------------------------------------
const privateList = (page) => page.locator('nav .private-list');
async function newPrivateChat(page) {
  await page.getByRole('button', { name: 'New private chat' }).click();
  await page.getByRole('note').filter({ hasText: 'Kept only in this browser' }).waitFor();
  await composer(page).waitFor();
}
/** The messages (no system prompt) of the last request the scripted upstream got that `match`es. */
async function upstreamMessages(match) {
  const recorded = await (await fetch(`${seed.upstream}/_recorded`)).json();
  const asked = recorded.map((r) => (Array.isArray(r.body?.messages) ? r.body.messages.filter((m) => m.role !== 'system') : []));
  return asked.reverse().find((messages) => messages.length && match(messages)) ?? null;
}
/** A CSRF-carrying API call of the signed-in page (changes need the session's token). */
async function apiAs(page, method, path, body) {
  const me = await (await page.request.get(`${BASE}/v1/me`)).json();
  return page.request.fetch(`${BASE}${path}`, { method, data: body, headers: { 'X-CSRF-Token': me.csrf_token } });
}

test('private chat: two turns kept in this browser, a reload mid-answer resumes it; export, delete, re-import; moved to saved history it is searchable', async ({ page, incidents }) => {
  await signIn(page);
  await newPrivateChat(page);
  await send(page, 'Okapis are private [upstream tokens=6]');
  await waitStatus(assistants(page).last(), 'completed');
  assert(tokens(await answerText(assistants(page).last())) === expected(6), 'the first answer, whole');
  await eventually('a private address', async () => /#\/private\/[^/]+$/.test(page.url()));
  await privateList(page).getByRole('link', { name: /Okapis are private/ }).waitFor();

  // The second turn carries the whole history; a reload in the middle resumes it from IndexedDB.
  await send(page, 'Second private question [upstream tokens=80 delay_ms=40]');
  await eventually('streaming', async () => tokens(await answerText(assistants(page).last())).includes('t10'));
  const resumed = page.waitForRequest((r) => /\/v1\/private\/turns\/[^/]+\/events$/.test(r.url()));
  await page.reload();
  const lastEventId = (await resumed).headers()['last-event-id'];
  assert(Number(lastEventId) > 0, `resumed after the stored offset (${lastEventId})`);
  await waitStatus(assistants(page).last(), 'completed');
  assert(tokens(await answerText(assistants(page).last())) === expected(80), 'exactly t0..t79 once each after the reload');
  assert((await users(page).count()) === 2 && (await assistants(page).count()) === 2, 'both turns still there');
  // The browser sent the whole history; the model got it. (Asked once the answer is done: asked
  // mid-stream, the scripted upstream stalled that stream past the provider timeout.)
  const history = await upstreamMessages((m) => String(m.at(-1).content).startsWith('Second private question'));
  assert(history?.length === 3 && history[0].content.startsWith('Okapis') && tokens(history[1].content) === expected(6), `the whole history: ${JSON.stringify(history).slice(0, 300)}`);
  await page.reload();
  await users(page).filter({ hasText: 'Okapis are private' }).waitFor();
  assert((await assistants(page).count()) === 2, 'and after another reload');

  // The server kept nothing: no conversation, no search hit.
  const saved = await (await page.request.get(`${BASE}/v1/conversations?limit=100`)).json();
  assert(!saved.items.some((c) => /Okapis/.test(c.title)), 'no saved conversation');
  const hits = await (await page.request.get(`${BASE}/v1/search?q=okapis`)).json();
  assert(hits.items.length === 0, `no search hit: ${JSON.stringify(hits.items).slice(0, 200)}`);
  await shot(page, 'private-chat');

  // Export it, delete it (after a confirmation), import it back.
  const head = page.locator('.chat-head');
  const [download] = await Promise.all([page.waitForEvent('download'), head.getByRole('button', { name: 'Export' }).click()]);
  const file = join(OUT, 'private-export.json');
  await download.saveAs(file);
  const exported = JSON.parse(readFileSync(file, 'utf8'));
  assert(exported.format === 'confab.private-conversations' && exported.conversations[0].messages.length === 4, 'one conversation of four messages');
  await head.getByRole('button', { name: 'Delete' }).click();
  const confirmDelete = page.getByRole('dialog');
  assert(/cannot be restored unless you exported it/.test(await confirmDelete.textContent()), 'the confirmation says what deleting means');
  await shot(page, 'private-delete-confirm');
  await confirmDelete.getByRole('button', { name: 'Delete' }).click();
  await eventually('gone from the list', async () => (await privateList(page).getByRole('link', { name: /Okapis/ }).count()) === 0);
  await page.locator('nav input[type=file]').setInputFiles(file);
  await page.getByRole('status').filter({ hasText: '1 private conversation imported' }).waitFor();
  await privateList(page).getByRole('link', { name: /Okapis are private/ }).click();
  await users(page).filter({ hasText: 'Second private question' }).waitFor();
  assert(tokens(await answerText(assistants(page).last())) === expected(80), 'imported whole');

  // A file with problems says what it did not import.
  await page.locator('nav input[type=file]').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"format":"confab.private-conversations","version":1,"conversations":[{"title":"Bad","messages":[{"role":"system","content":"x"}]}]}') });
  const report = page.getByRole('dialog');
  await report.getByText(/“Bad” was not imported: message 1 has the role "system"/).waitFor();
  await report.getByRole('button', { name: 'OK' }).click();

  // Moved to the saved history: on the server, found by search, gone from this browser.
  await head.getByRole('button', { name: 'Move to saved history' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Move to saved history' }).click();
  const id = await conversationId(page);
  await page.locator('.chat-title').filter({ hasText: 'Okapis are private' }).waitFor();
  assert((await assistants(page).count()) === 2, 'the saved conversation has both answers');
  assert((await privateList(page).getByRole('link', { name: /Okapis/ }).count()) === 0, 'no private copy left');
  const nav = page.locator('nav');
  await nav.getByLabel('Search conversations').fill('okapis');
  await eventually('a search hit', async () => (await nav.locator(`.search-results a[href="/c/${id}"]`).count()) >= 1, 20000);
  await assertClean(page, incidents);
});

test('private chat: a cut-short answer is continued in place; Stop keeps what was written', async ({ page, incidents }) => {
  await signIn(page);
  await newPrivateChat(page);
  await send(page, 'Cut short privately [upstream tokens=20 drop_after=5]');
  const answer = assistants(page).last();
  await waitStatus(answer, 'partial');
  await answer.getByText('This answer was interrupted before it finished.').waitFor();
  const before = tokens(await answerText(answer));
  await answer.getByRole('button', { name: 'Continue' }).click();
  await eventually('more text appended', async () => {
    const now = tokens(await answerText(assistants(page).last()));
    return now.startsWith(before) && now.length > before.length && (await status(assistants(page).last())) !== 'streaming';
  });
  // The model got the history up to the partial answer (and the server's request to go on).
  const history = await upstreamMessages((m) => m.some((x) => x.role === 'assistant' && tokens(String(x.content)) === before));
  const at = history?.findIndex((x) => x.role === 'assistant');
  assert(at === 1 && history[0].content.startsWith('Cut short privately'), `the question, then the partial answer: ${JSON.stringify(history)}`);
  assert((await assistants(page).count()) === 1, 'continued in place, not a new answer');

  await send(page, 'A long private one [upstream tokens=400 delay_ms=30]');
  // The second answer, by position: `last()` would match the first one (whose text has t5 too)
  // until the new one is on the page, and Stop would then come after its first token.
  const long = assistants(page).nth(1);
  await long.waitFor();
  await eventually('streaming', async () => tokens(await answerText(long)).includes('t5'));
  await page.getByRole('button', { name: 'Stop' }).click();
  await waitStatus(long, 'cancelled');
  await long.getByText('Stopped.').waitFor();
  const raw = await answerText(long);
  const kept = tokens(raw);
  assert(kept.startsWith('t0 t1') && !kept.includes('t399'), `kept a prefix only: ${JSON.stringify(raw.slice(0, 60))} … ${JSON.stringify(raw.slice(-60))}`);
  await page.getByRole('button', { name: 'Switch to dark theme' }).click();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(200);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert(width <= 390, `no sideways scrolling at 390 px (${width})`);
  await shot(page, 'private-chat-narrow-dark');
  await page.getByRole('button', { name: 'Show conversations' }).click();
  await page.waitForTimeout(300);
  await shot(page, 'private-sidebar-narrow-dark');
  await assertClean(page, incidents);
});

test('private chat: off when the organisation turns it off, with its reason; what is stored stays readable', async ({ page, incidents }) => {
  await signIn(page);
  await newPrivateChat(page);
  await send(page, 'Before the switch [upstream tokens=3]');
  await waitStatus(assistants(page).last(), 'completed');
  const off = await apiAs(page, 'PUT', '/v1/tenant/private-mode', { allowed: false, reason: 'Policy 7 requires keeping every conversation' });
  assert(off.status() === 200, `turned off: ${off.status()}`);
  try {
    await page.reload();
    const button = page.getByRole('button', { name: 'New private chat' });
    await eventually('the button off', async () => button.isDisabled());
    await page.locator('nav').getByText('Private chats are off: Policy 7 requires keeping every conversation.').waitFor();
    await users(page).filter({ hasText: 'Before the switch' }).waitFor();
    await page.getByText(/Private chats are turned off: Policy 7/).waitFor();
    assert((await composer(page).count()) === 0, 'no composer');
    await shot(page, 'private-off');
    await assertClean(page, incidents);
  } finally {
    await apiAs(page, 'PUT', '/v1/tenant/private-mode', { allowed: true });
  }
});

// ---- attachments ------------------------------------------------------------------------------
/** A real PNG (signature, IHDR, compressed rows, IEND with their CRCs): a diagonal gradient. */
function png(width, height) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rows.set([(x * 255) / width, (y * 255) / height, 200], y * (width * 3 + 1) + 1 + x * 3);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}
/** A one-page PDF showing `text`, with a correct cross-reference table (Confab extracts its text). */
function pdf(text) {
  const stream = `BT /F1 12 Tf 72 712 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets = objects.map((body, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
/** Drags `files` ({ name, type, bytes }) over `target` and drops them there, as a file manager does. */
async function dropFiles(page, target, files) {
  const dataTransfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
    return dt;
  }, files.map((f) => ({ ...f, bytes: [...f.bytes] })));
  await target.dispatchEvent('dragenter', { dataTransfer });
  await target.dispatchEvent('dragover', { dataTransfer });
  await page.locator('.drop-hint').waitFor();
  await target.dispatchEvent('drop', { dataTransfer });
}
const chips = (page) => page.locator('.composer .attachment');
/** The last request the scripted upstream got whose JSON `match`es. */
async function upstreamRequest(match) {
  const recorded = await (await fetch(`${seed.upstream}/_recorded`)).json();
  return recorded.reverse().find((r) => match(JSON.stringify(r.body ?? null))) ?? null;
}

test('attachments: a picture and a PDF dropped on the chat go with the message, show on it and download', async ({ page, incidents }) => {
  await signIn(page);
  await composer(page).waitFor();
  const picture = png(64, 40);
  const brief = pdf('Okapis browse at dawn');
  await dropFiles(page, page.locator('.messages'), [
    { name: 'gradient.png', type: 'image/png', bytes: picture },
    { name: 'brief.pdf', type: 'application/pdf', bytes: brief },
  ]);
  await eventually('both chips uploaded', async () => (await chips(page).count()) === 2 && (await page.locator('.composer .attachment[data-state="ready"]').count()) === 2);
  assert((await chips(page).nth(0).textContent()).includes('gradient.png'), 'the picture first');
  assert((await chips(page).nth(1).textContent()).includes('brief.pdf'), 'the PDF second');
  const preview = chips(page).nth(0).locator('img.file-thumb');
  assert(await preview.evaluate((img) => img.complete && img.naturalWidth === 64), 'the picture shows as a thumbnail');
  await page.locator('.composer').getByRole('status').filter({ hasText: 'attached' }).waitFor();
  await composer(page).fill('What is in these? [upstream tokens=30 delay_ms=30]');
  await shot(page, 'attachments-composer');
  await composer(page).press('Enter');

  const question = users(page).last();
  await question.getByText('What is in these?').waitFor();
  const listed = question.locator('.message-files li');
  await eventually('both files on the sent message', async () => (await listed.count()) === 2);
  assert((await listed.nth(0).textContent()).includes('gradient.png') && (await listed.nth(0).textContent()).includes('PNG image'), await listed.nth(0).textContent());
  assert((await listed.nth(1).textContent()).includes('brief.pdf') && (await listed.nth(1).textContent()).includes('PDF'), await listed.nth(1).textContent());
  assert((await chips(page).count()) === 0, 'the composer is empty again');
  const answer = assistants(page).last();
  await eventually('streaming', async () => {
    const t = tokens(await answerText(answer));
    return t.includes('t3') && !t.includes('t29');
  });
  await waitStatus(answer, 'completed');
  assert(tokens(await answerText(answer)) === expected(30), 'the whole answer');
  // The picture on the sent message comes from the server, through an object URL.
  const thumb = listed.nth(0).locator('img.file-thumb');
  await eventually('the stored picture', async () => (await thumb.evaluate((img) => img.src.startsWith('blob:') && img.complete && img.naturalWidth)) === 64);
  await shot(page, 'attachments-sent');

  // The model got the PDF's text and the picture.
  const asked = await upstreamRequest((body) => body.includes('What is in these?'));
  const wire = JSON.stringify(asked?.body ?? null);
  assert(wire.includes('Okapis browse at dawn'), `the PDF's text in the prompt: ${wire.slice(0, 400)}`);
  assert(wire.includes(`data:image/png;base64,${picture.toString('base64')}`), 'the picture in the prompt');

  // A click downloads the file, byte for byte.
  const [download] = await Promise.all([page.waitForEvent('download'), listed.nth(1).getByRole('link').click()]);
  assert(download.suggestedFilename() === 'brief.pdf', download.suggestedFilename());
  const saved = join(OUT, 'attachment-download.pdf');
  await download.saveAs(saved);
  assert(readFileSync(saved).equals(brief), 'the same bytes');

  // After a reload the message still lists them; deleted, a file is named but no longer a link.
  const id = listed.nth(1).locator('a');
  const fileId = (await id.getAttribute('href')).split('/')[3];
  const gone = await apiAs(page, 'DELETE', `/v1/files/${fileId}`);
  assert(gone.status() === 204, `deleted: ${gone.status()}`);
  await page.reload();
  await users(page).last().locator('.message-files li').nth(1).getByText('deleted').waitFor();
  assert((await users(page).last().locator('.message-files li').nth(1).locator('a').count()) === 0, 'no link to a deleted file');

  // A snapshot of the conversation names the files it carried, and offers no way to them.
  const conversations = await (await apiAs(page, 'GET', '/v1/conversations')).json();
  const conv = conversations.items.find((c) => c.title.startsWith('What is in these?'));
  const shared = await apiAs(page, 'POST', `/v1/conversations/${conv.id}/shares`, { visibility: 'tenant' });
  assert(shared.status() === 201, `shared: ${shared.status()}`);
  await page.goto(`${BASE}/shared/${(await shared.json()).id}`);
  const named = page.locator('.snapshot .message-files li');
  await eventually('the snapshot names both files', async () => (await named.count()) === 2);
  assert((await named.nth(0).textContent()).includes('gradient.png') && (await named.nth(0).textContent()).includes('not shared'), await named.nth(0).textContent());
  assert((await page.locator('.snapshot .message-files a').count()) === 0, 'no link to a file from a snapshot');
  await shot(page, 'attachments-snapshot');
  await assertClean(page, incidents);
});

test('attachments: an unsupported file shows the server’s reason on its chip and the text still goes; a picture needs a model with vision; a draft keeps its files', async ({ page, incidents }) => {
  await signIn(page);
  await composer(page).waitFor();
  await page.locator('.composer input[type=file]').setInputFiles({ name: 'x.bin', mimeType: 'application/octet-stream', buffer: randomBytes(4096) });
  const chip = chips(page).first();
  await eventually('the refusal', async () => (await chip.getAttribute('data-state')) === 'failed');
  const said = await chip.locator('.file-error').textContent();
  assert(/^This kind of file cannot be attached/.test(said), `the server's reason: ${said}`);
  await page.locator('.composer').getByRole('status').filter({ hasText: 'x.bin could not be attached' }).waitFor();
  await shot(page, 'attachments-refused');
  await send(page, 'Just the words [upstream tokens=3]');
  await waitStatus(assistants(page).last(), 'completed');
  assert((await users(page).last().locator('.message-files').count()) === 0, 'the message carries no file');
  assert((await chips(page).count()) === 0, 'the refused chip is gone with the send');

  // A model without vision: the composer says so before anything is sent.
  await page.locator('.composer input[type=file]').setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: png(4, 4) });
  await page.locator('.composer').getByLabel('Model').selectOption('azure-gpt');
  await page.locator('.composer').getByText('cannot see pictures').waitFor();
  await composer(page).fill('Describe it');
  assert(await page.locator('.composer').getByRole('button', { name: 'Send' }).isDisabled(), 'no send to a model that cannot see');
  await page.locator('.composer').getByRole('button', { name: 'Remove dot.png' }).click();
  assert(!(await page.locator('.composer').getByRole('button', { name: 'Send' }).isDisabled()), 'without the picture it can go');

  // What is attached stays with the draft across a reload, and goes with the message.
  await page.locator('.composer input[type=file]').setInputFiles({ name: 'kept.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b\n1,2\n') });
  await page.locator('.composer .attachment[data-state="ready"]').filter({ hasText: 'kept.csv' }).waitFor();
  await composer(page).fill('Sum the columns [upstream tokens=2]');
  await page.waitForTimeout(300);
  await page.reload();
  await page.locator('.composer .attachment[data-state="ready"]').filter({ hasText: 'kept.csv' }).waitFor();
  await composer(page).press('Enter');
  await users(page).last().locator('.message-files').getByText('kept.csv').waitFor();
  await waitStatus(assistants(page).last(), 'completed');
  assert((await chips(page).count()) === 0, 'sent, the composer is empty');
  await assertClean(page, incidents);
});

// ---- single sign-on --------------------------------------------------------------------------
// The initech tenant signs in through a real OpenID provider (panva's oidc-provider, seeded by the
// e2e server with just-in-time provisioning and `initech-admins` mapped to tenant admin).
async function ssoSignIn(page, email, { expectChat = true } = {}) {
  await page.goto(`${BASE}/`);
  await page.getByLabel('E-mail').fill(email);
  // The button appears for the address's domain (verified by initech).
  const button = page.getByRole('link', { name: 'Sign in with Initech SSO' });
  await button.waitFor();
  await button.click();
  // The provider's own sign-in form, the address passed on as login_hint (any password).
  const login = page.locator('input[name="login"]');
  await login.waitFor();
  assert((await login.inputValue()) === email, `login_hint filled in: ${await login.inputValue()}`);
  await page.locator('input[name="password"]').fill('anything');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  if (expectChat) await page.getByRole('button', { name: '+ New chat' }).waitFor();
}
async function me(page) {
  const res = await page.request.get(`${BASE}/v1/me`);
  return { status: res.status(), body: res.status() === 200 ? await res.json() : null };
}
async function setProviderUser(page, login, claims) {
  const res = await page.request.put(`${seed.sso.issuer}/_test/users/${encodeURIComponent(login)}`, { data: JSON.stringify(claims) });
  assert(res.status() === 204, `provider user updated (${res.status()})`);
}

test('single sign-on: a new person is provisioned through the provider; the admin group makes an admin at the next sign-in; sign out ends both sessions', async ({ page, incidents }) => {
  const sso = seed.sso;
  // An address of a domain nobody verified gets no button; initech's does.
  await page.goto(`${BASE}/`);
  await page.getByLabel('E-mail').fill('someone@acme.example');
  await page.waitForTimeout(600);
  assert((await page.getByRole('link', { name: /Sign in with/ }).count()) === 0, 'no button for an unverified domain');
  await page.getByLabel('E-mail').fill(sso.member_email);
  await page.getByRole('link', { name: 'Sign in with Initech SSO' }).waitFor();
  await shot(page, 'sso-sign-in');

  await ssoSignIn(page, sso.member_email);
  let who = await me(page);
  assert(who.status === 200, `signed in (${who.status})`);
  assert(who.body.email === sso.member_email, `the provider's address: ${who.body.email}`);
  assert(who.body.display_name === 'Sam Lumbergh', `the provider's name: ${who.body.display_name}`);
  assert(who.body.active_tenant.slug === 'initech', `in initech: ${who.body.active_tenant.slug}`);
  assert(who.body.active_tenant.role === 'member', `a member: ${who.body.active_tenant.role}`);
  // The chat works for the new account.
  await send(page, 'Hello from single sign-on [upstream tokens=3]');
  await waitStatus(assistants(page).last(), 'completed');
  await shot(page, 'sso-signed-in');

  // The directory puts Sam in the admin group; it takes effect at the next sign-in. Signing out
  // goes through the provider's sign-out (RP-initiated logout), which confirms and comes back.
  await setProviderUser(page, sso.member_email, { email: sso.member_email, name: 'Sam Lumbergh', groups: [sso.admin_group] });
  await page.locator('nav').getByRole('button', { name: 'Sign out' }).click();
  const confirmOut = page.getByRole('button', { name: 'Yes, sign me out' });
  await confirmOut.waitFor();
  await confirmOut.click();
  await page.getByLabel('E-mail').waitFor();
  assert(new URL(page.url()).origin === new URL(BASE).origin, `back at Confab: ${page.url()}`);
  assert((await me(page)).status === 401, 'signed out of Confab');

  await ssoSignIn(page, sso.member_email);
  who = await me(page);
  assert(who.body.active_tenant.role === 'tenant_admin', `an admin through the group: ${who.body.active_tenant.role}`);

  // Out of the group again: a member from the next sign-in on, and the admin session is over.
  await setProviderUser(page, sso.member_email, { email: sso.member_email, name: 'Sam Lumbergh', groups: [] });
  const other = await page.context().browser().newContext();
  try {
    const second = await other.newPage();
    watch(second, incidents);
    await ssoSignIn(second, sso.member_email);
    const again = await me(second);
    assert(again.body.active_tenant.role === 'member', `a member again: ${again.body.active_tenant.role}`);
  } finally {
    await other.close();
  }
  assert((await me(page)).status === 401, 'the older admin session ended with the role');

  // Someone outside the tenant's domains is refused with an explanation, and nothing is opened.
  // A fresh browser (no provider session), through the tenant's own sign-in link (`?tenant=`).
  await setProviderUser(page, 'eve@elsewhere.example', { email: 'eve@elsewhere.example', name: 'Eve', groups: [] });
  await page.context().clearCookies();
  await page.goto(`${BASE}/?tenant=initech`);
  await page.getByRole('link', { name: 'Sign in with Initech SSO' }).click();
  const login = page.locator('input[name="login"]');
  await login.waitFor();
  await login.fill('eve@elsewhere.example');
  await page.locator('input[name="password"]').fill('anything');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('alert').filter({ hasText: 'may not sign in to this organization' }).waitFor();
  assert(!page.url().includes('sso_error'), 'the error code is taken out of the address');
  assert((await me(page)).status === 401, 'no session for a refused sign-in');
  await shot(page, 'sso-refused');
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
    await Promise.race([t.fn(ctx), new Promise((_, reject) => setTimeout(() => reject(new Failure('test timed out (90 s)')), 90000))]);
    passed += 1;
    console.log(`test web e2e: ${t.name} ... ok`);
  } catch (e) {
    failed += 1;
    console.log(`test web e2e: ${t.name} ... FAILED\n    ${e instanceof Failure ? e.message : e.stack}`);
    // What the page itself reported (script errors, CSP refusals) is often the cause.
    for (const incident of ctx.incidents) console.log(`    the page: ${incident}`);
    await ctx.page.screenshot({ path: join(OUT, `FAILED-${passed + failed}.png`) }).catch(() => {});
  } finally {
    await ctx.context.close();
  }
}
await browser.close();
server.stdin.end();
const secs = ((Date.now() - started) / 1000).toFixed(1);
console.log(`\ntest result: ${failed ? 'FAILED' : 'ok'}. ${passed} passed; ${failed} failed; 0 ignored; 0 measured; 0 filtered out; finished in ${secs}s (web e2e)`);
process.exit(failed ? 1 : 0);
