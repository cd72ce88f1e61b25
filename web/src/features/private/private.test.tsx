import 'fake-indexeddb/auto';
import { createConfabClient } from '@confab/client';
import { QueryClient } from '@tanstack/react-query';
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfabError, type PrivateTurnEvent } from '../../api/client';
import { serve, withQueries } from '../../test-utils';
import { importBody, importKey } from './api';
import { PrivateChats, type PrivateTurnsApi } from './chats';
import { NewPrivateChat, PrivateOffReason } from './components/PrivateSection';
import { addPrivate, deletePrivate, listPrivate, loadPrivate, savePrivate, type PrivateConversation, type PrivateMessage } from './store';
import { exportFile, FORMAT, parseImport } from './transfer';
import { afterStreamError, applyTurnEvent, historyFor, MAX_HISTORY } from './turns';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

let counter = 0;
const unique = (what: string) => `${what}-${++counter}`;
const sequence = () => () => unique('id');

function conversation(owner: string, messages: PrivateMessage[], over: Partial<PrivateConversation> = {}): PrivateConversation {
  return {
    id: unique('c'), owner, title: 'Birds', created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z',
    model: null, preset_id: null, messages, ...over,
  };
}
const user = (content: string): PrivateMessage => ({ id: unique('m'), role: 'user', content, status: 'completed', created_at: '2026-01-01T00:00:00.000Z' });
const answer = (content: string, over: Partial<PrivateMessage> = {}): PrivateMessage => ({
  id: unique('m'), role: 'assistant', content, status: 'completed', created_at: '2026-01-01T00:00:00.000Z', ...over,
});

describe('the private store', () => {
  it("keeps each account's conversations apart, newest first", async () => {
    const [ann, bob] = [unique('ann'), unique('bob')];
    const old = conversation(ann, [user('a')], { updated_at: '2026-01-01T00:00:00.000Z' });
    const recent = conversation(ann, [user('b')], { updated_at: '2026-02-01T00:00:00.000Z' });
    const bobs = conversation(bob, [user('c')]);
    for (const c of [old, recent, bobs]) await savePrivate(c);
    expect((await listPrivate(ann)).map((c) => c.id)).toEqual([recent.id, old.id]);
    expect(await loadPrivate(ann, bobs.id)).toBeNull();
    await deletePrivate(ann, bobs.id); // not Ann's: nothing happens
    expect(await loadPrivate(bob, bobs.id)).toEqual(bobs);
    await deletePrivate(ann, old.id);
    expect((await listPrivate(ann)).map((c) => c.id)).toEqual([recent.id]);
  });

  it('gives an imported conversation a new id when the id is taken, here or earlier in the same import', async () => {
    const owner = unique('owner');
    const existing = conversation(owner, [user('x')]);
    await savePrivate(existing);
    const { owner: _o, ...again } = existing;
    const fresh = { ...again, id: unique('c') };
    const ids = await addPrivate(owner, [again, fresh, { ...fresh, title: 'twin' }]);
    expect(ids[0]).not.toBe(existing.id);
    expect(ids[1]).toBe(fresh.id);
    expect(ids[2]).not.toBe(fresh.id);
    expect(new Set(ids).size).toBe(3);
    expect(await listPrivate(owner)).toHaveLength(4);
    expect((await loadPrivate(owner, existing.id))?.messages[0]?.content).toBe('x'); // untouched
  });
});

describe('export and import', () => {
  it('round-trips conversations, an answer left streaming exported as partial, without local bookkeeping', () => {
    const c = conversation('o', [user('Hi'), answer('Hel', { status: 'streaming', turn_id: 't', turn_offset: 3, model: 'gpt' })], { model: 'gpt' });
    const file = exportFile([c], new Date('2026-03-01T00:00:00Z'));
    expect(file).toMatchObject({ format: FORMAT, version: 1, exported_at: '2026-03-01T00:00:00.000Z' });
    expect(file.conversations[0]?.messages[1]).toEqual({ role: 'assistant', content: 'Hel', status: 'partial', created_at: c.created_at, model: 'gpt' });
    expect(JSON.stringify(file)).not.toContain('turn_');
    expect(JSON.stringify(file)).not.toContain('"owner"');

    const back = parseImport(JSON.stringify(file), sequence());
    expect(back.errors).toEqual([]);
    expect(back.conversations).toHaveLength(1);
    const [imported] = back.conversations;
    expect(imported?.id).toBe(c.id);
    expect(imported?.model).toBe('gpt');
    expect(imported?.messages.map((m) => [m.role, m.content, m.status, m.model])).toEqual([
      ['user', 'Hi', 'completed', undefined],
      ['assistant', 'Hel', 'partial', 'gpt'],
    ]);
  });

  it('reports what is wrong with a file, and imports the valid conversations of it', () => {
    expect(parseImport('{nope', sequence()).errors).toEqual(['The file is not JSON: is it a Confab export?']);
    expect(parseImport('{"format":"something else"}', sequence()).errors[0]).toMatch(/not an export of Confab private conversations/);
    expect(parseImport(JSON.stringify({ format: FORMAT, version: 9, conversations: [] }), sequence()).errors[0]).toMatch(/version 9/);
    const file = {
      format: FORMAT,
      version: 1,
      conversations: [
        { title: 'Good', messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello', status: 'completed' }] },
        { title: 'Bad role', messages: [{ role: 'system', content: 'x' }] },
        { title: 'Bad status', messages: [{ role: 'assistant', content: 'x', status: 'streaming' }] },
        { messages: [] },
        'not even an object',
      ],
    };
    const result = parseImport(JSON.stringify(file), sequence(), new Date('2026-04-01T00:00:00Z'));
    expect(result.conversations.map((c) => c.title)).toEqual(['Good']);
    expect(result.conversations[0]?.id).toMatch(/^id-/); // none in the file: a fresh one
    expect(result.conversations[0]?.created_at).toBe('2026-04-01T00:00:00.000Z');
    expect(result.errors).toEqual([
      'Conversation “Bad role” was not imported: message 1 has the role "system" (user or assistant expected).',
      'Conversation “Bad status” was not imported: message 1 has the status "streaming".',
      'Conversation number 4 was not imported: it has no title.',
      'Conversation number 5 was not imported: it is not an object.',
    ]);
  });
});

describe('moving to the saved history', () => {
  it('sends the messages with text; answers that did not finish go as partial', () => {
    const c = conversation('o', [
      user('one'),
      answer('Done', { model: 'gpt' }),
      user('two'),
      answer('', { status: 'failed' }),
      user('three'),
      answer('Sto', { status: 'cancelled', model: 'gpt' }),
    ]);
    expect(importBody(c)).toEqual({
      title: 'Birds',
      messages: [
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'Done', status: 'completed', model: 'gpt' },
        { role: 'user', content: 'two' },
        { role: 'user', content: 'three' },
        { role: 'assistant', content: 'Sto', status: 'partial', model: 'gpt' },
      ],
    });
  });

  it('saves with one idempotency key per chat and content: a retry is the same save, a change a new one', () => {
    const c = conversation('o', [user('one'), answer('Done', { model: 'gpt' })]);
    const key = importKey(c.id, importBody(c));
    expect(key).toMatch(/^private-[^ ]+-[0-9a-f]{16}$/);
    expect(key.length).toBeLessThanOrEqual(255);
    expect(importKey(c.id, importBody(c))).toBe(key);
    const longer = conversation('o', [user('one'), answer('Done', { model: 'gpt' }), user('two')], { id: c.id });
    expect(importKey(longer.id, importBody(longer))).not.toBe(key);
    const edited = conversation('o', [user('one'), answer('Done!', { model: 'gpt' })], { id: c.id });
    expect(importKey(edited.id, importBody(edited))).not.toBe(key);
  });
});

describe('a turn applied to its answer', () => {
  const created: PrivateTurnEvent = { type: 'turn.created', turn_id: 't2', model: 'gpt', dropped_messages: 3 };
  it('appends deltas once (a replay changes nothing), also after a partial answer it continues', () => {
    let a = answer('Hello', { status: 'streaming', turn_id: 't1', turn_offset: 5 });
    a = applyTurnEvent(a, created);
    expect(a).toMatchObject({ turn_id: 't2', turn_offset: 0, dropped_messages: 3, content: 'Hello' });
    a = applyTurnEvent(a, { type: 'turn.delta', turn_id: 't2', content: ' wörld', offset: 7 });
    const again = applyTurnEvent(a, { type: 'turn.delta', turn_id: 't2', content: ' wörld', offset: 7 });
    expect(again).toBe(a);
    expect(applyTurnEvent(a, created)).toBe(a); // turn.created replayed
    a = applyTurnEvent(a, { type: 'turn.failed', turn_id: 't2', status: 'partial', error: { code: 'upstream', message: 'cut' }, length: 7 });
    expect(a).toMatchObject({ content: 'Hello wörld', status: 'partial', error: { code: 'upstream' } });
  });

  it('after a stream error: left alone when aborted, failed when refused, partial when lost after it started', () => {
    const waiting = answer('', { status: 'streaming' });
    expect(afterStreamError(waiting, new DOMException('left', 'AbortError'))).toBeNull();
    const refused = afterStreamError(waiting, new ConfabError({ status: 403, code: 'private_mode_disabled', message: 'a legal hold is in place' }));
    expect(refused).toMatchObject({ status: 'failed', error: { code: 'private_mode_disabled', message: 'You are not allowed to do this: a legal hold is in place.' } });
    expect(afterStreamError(answer('Some', { status: 'streaming', turn_id: 't' }), new TypeError('x'))).toMatchObject({ status: 'partial' });
  });

  it('sends the history before the answer, without failed answers; a continued answer comes last', () => {
    const c = conversation('o', [user('one'), answer('', { status: 'failed' }), user('two'), answer('Par', { status: 'partial' })]);
    expect(historyFor(c, 3, false).map((m) => m.content)).toEqual(['one', 'two']);
    expect(historyFor(c, 3, true)).toEqual([
      { role: 'user', content: 'one' },
      { role: 'user', content: 'two' },
      { role: 'assistant', content: 'Par' },
    ]);
    const long = conversation('o', Array.from({ length: 601 }, (_, i) => user(`q${i}`)));
    const sent = historyFor(long, 600, false);
    expect(sent).toHaveLength(MAX_HISTORY);
    expect(sent[0]?.content).toBe('q100'); // the latest ones
  });
});

// ---- the chats against a scripted relay, through the SDK's real private streams -----------------
const TURN = 'turn-1';
const frame = (event: PrivateTurnEvent, id: number) => `event: ${event.type}\nid: ${id}\ndata: ${JSON.stringify(event)}\n\n`;
const createdFrame = frame({ type: 'turn.created', turn_id: TURN, model: 'gpt', dropped_messages: 0 }, 0);
const deltaFrame = (offset: number, content: string) => frame({ type: 'turn.delta', turn_id: TURN, content, offset }, offset);
const completedFrame = (length: number) => frame({ type: 'turn.completed', turn_id: TURN, input_tokens: 3, output_tokens: 2, length }, length + 1);

interface Asked {
  method: string;
  path: string;
  lastEventId: string | null;
  body: unknown;
}

/** A relay whose answers are scripted per request; `hold` keeps a stream open until released. */
function scriptedRelay(answer: (asked: Asked) => { status: number; frames?: string[]; hold?: Promise<void>; body?: unknown }) {
  const asked: Asked[] = [];
  const client = createConfabClient({
    baseUrl: 'http://confab.test',
    retry: false,
    stream: { reconnect: { maxAttempts: 0 } },
    fetch: async (request) => {
      const text = await request.text();
      const a: Asked = { method: request.method, path: new URL(request.url).pathname, lastEventId: request.headers.get('Last-Event-ID'), body: text ? JSON.parse(text) : null };
      asked.push(a);
      const { status, frames = [], hold, body } = answer(a);
      if (status !== 200) return new Response(JSON.stringify(body ?? { error: { code: 'not_found', message: 'gone' } }), { status, headers: { 'Content-Type': 'application/json' } });
      const bytes = new TextEncoder();
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          const [first, ...rest] = frames;
          if (first) controller.enqueue(bytes.encode(first));
          await hold;
          for (const f of rest) controller.enqueue(bytes.encode(f));
          controller.close();
        },
      });
      return new Response(stream, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
    },
  });
  const api: PrivateTurnsApi = {
    start: (body, signal) => client.privateTurn(body, { signal }),
    follow: (turnId, lastEventId, signal) => client.privateEvents(turnId, { lastEventId, signal }),
    cancel: async (turnId) => {
      asked.push({ method: 'POST', path: `/v1/private/turns/${turnId}/cancel`, lastEventId: null, body: null });
    },
  };
  return { api, asked };
}

describe('private chats', () => {
  it('sends the history, stores the answer while it streams (turn and offset) and at its end', async () => {
    let release = () => {};
    const hold = new Promise<void>((r) => (release = r));
    const { api, asked } = scriptedRelay(() => ({ status: 200, frames: [createdFrame + deltaFrame(5, 'Hello'), deltaFrame(11, ' there'), completedFrame(11)], hold }));
    const owner = unique('owner');
    const chats = new PrivateChats(owner, new QueryClient(), api, 10);
    const id = await chats.send(null, 'Hi there', { model: 'gpt' });
    await vi.waitFor(async () => expect((await loadPrivate(owner, id))?.messages[1]).toMatchObject({ status: 'streaming', turn_id: TURN, turn_offset: 5, content: 'Hello' }));
    release();
    await chats.settled();
    const stored = await loadPrivate(owner, id);
    expect(stored).toMatchObject({ title: 'Hi there', model: 'gpt' });
    expect(stored?.messages.map((m) => [m.role, m.content, m.status])).toEqual([
      ['user', 'Hi there', 'completed'],
      ['assistant', 'Hello there', 'completed'],
    ]);
    expect(asked[0]).toMatchObject({ method: 'POST', path: '/v1/private/turns', body: { messages: [{ role: 'user', content: 'Hi there' }], model: 'gpt' } });
  });

  it('on load, resumes an answer left streaming after its stored offset', async () => {
    const { api, asked } = scriptedRelay(() => ({ status: 200, frames: [deltaFrame(11, ' world'), completedFrame(11)] }));
    const owner = unique('owner');
    const c = conversation(owner, [user('Hi'), answer('hello', { status: 'streaming', turn_id: TURN, turn_offset: 5 })]);
    await savePrivate(c);
    const chats = new PrivateChats(owner, new QueryClient(), api, 10);
    await chats.resumeAll();
    await chats.settled();
    expect(asked).toEqual([{ method: 'GET', path: `/v1/private/turns/${TURN}/events`, lastEventId: '5', body: null }]);
    expect((await loadPrivate(owner, c.id))?.messages[1]).toMatchObject({ content: 'hello world', status: 'completed' });
  });

  it('keeps what it has as partial when the server no longer holds the turn; one that never started fails', async () => {
    const { api } = scriptedRelay(() => ({ status: 404 }));
    const owner = unique('owner');
    const lost = conversation(owner, [user('Hi'), answer('hel', { status: 'streaming', turn_id: TURN, turn_offset: 3 })]);
    const unstarted = conversation(owner, [user('Hi'), answer('', { status: 'streaming' })]);
    await savePrivate(lost);
    await savePrivate(unstarted);
    const chats = new PrivateChats(owner, new QueryClient(), api, 10);
    await chats.resumeAll();
    await chats.settled();
    expect((await loadPrivate(owner, lost.id))?.messages[1]).toMatchObject({ content: 'hel', status: 'partial', error: { code: 'interrupted' } });
    expect((await loadPrivate(owner, unstarted.id))?.messages[1]).toMatchObject({ content: '', status: 'failed', error: { message: 'The page was closed before the answer started.' } });
  });

  it('continues a partial answer: its text goes last in the history and the new text is appended', async () => {
    const { api, asked } = scriptedRelay(() => ({ status: 200, frames: [createdFrame + deltaFrame(4, 'lo!!'), completedFrame(4)] }));
    const owner = unique('owner');
    const partial = answer('Hel', { status: 'partial', turn_id: 'old', turn_offset: 3, error: { code: 'interrupted', message: 'x' } });
    const c = conversation(owner, [user('Hi'), partial]);
    await savePrivate(c);
    const chats = new PrivateChats(owner, new QueryClient(), api, 10);
    await chats.continue(c.id, partial.id);
    await chats.settled();
    expect(asked[0]?.body).toEqual({ messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hel' }] });
    expect((await loadPrivate(owner, c.id))?.messages[1]).toMatchObject({ content: 'Hello!!', status: 'completed', error: null });
  });

  it('a refused turn fails with the reason, and Stop asks the server to cancel a running one', async () => {
    const refusal = { error: { code: 'private_mode_disabled', message: 'your organisation keeps every conversation' } };
    const refused = scriptedRelay(() => ({ status: 403, body: refusal }));
    const owner = unique('owner');
    const chats = new PrivateChats(owner, new QueryClient(), refused.api, 10);
    const id = await chats.send(null, 'Hi', { model: null });
    await chats.settled();
    expect((await loadPrivate(owner, id))?.messages[1]).toMatchObject({ status: 'failed', error: { code: 'private_mode_disabled' } });

    let release = () => {};
    const hold = new Promise<void>((r) => (release = r));
    const running = scriptedRelay(() => ({ status: 200, frames: [createdFrame, frame({ type: 'turn.cancelled', turn_id: TURN, length: 0 }, 1)], hold }));
    const other = new PrivateChats(owner, new QueryClient(), running.api, 10);
    const second = await other.send(null, 'Long one', { model: null });
    await vi.waitFor(async () => expect((await other.conversation(second))?.messages[1]?.turn_id).toBe(TURN));
    await other.stop(second);
    expect(running.asked.at(-1)).toMatchObject({ method: 'POST', path: `/v1/private/turns/${TURN}/cancel` });
    release();
    await other.settled();
    expect((await loadPrivate(owner, second))?.messages[1]?.status).toBe('cancelled');
  });
});

describe('two tabs', () => {
  it('a conversation changed in one tab is shown as stored in the other', async () => {
    const { api } = scriptedRelay(() => ({ status: 200, frames: [createdFrame + deltaFrame(2, 'ok'), completedFrame(2)] }));
    const owner = unique('owner');
    const c = conversation(owner, [user('Hi'), answer('Hello')]);
    await savePrivate(c);
    const [here, there] = [new QueryClient(), new QueryClient()];
    const [a, b] = [new PrivateChats(owner, here, api, 10), new PrivateChats(owner, there, api, 10)];
    there.setQueryData(['private', owner, 'conversation', c.id], await b.conversation(c.id));
    await a.send(c.id, 'Again', { model: null });
    await a.settled();
    await vi.waitFor(() => expect(there.getQueryData<PrivateConversation>(['private', owner, 'conversation', c.id])?.messages.at(-1)).toMatchObject({ content: 'ok', status: 'completed' }));
    a.pause();
    b.pause();
  });
});

describe('New private chat', () => {
  it("is off when the organisation does not allow it, saying why", async () => {
    serve(({ path }) => (path === '/v1/private-mode' ? [200, { allowed: false, reason: 'a legal hold is in place', resume_secs: 120 }] : undefined));
    const { wrapper: Wrapper } = withQueries();
    render(
      <Wrapper>
        <NewPrivateChat onOpen={() => {}} />
        <PrivateOffReason />
      </Wrapper>,
    );
    expect(await screen.findByText('Private chats are off: a legal hold is in place.')).toBeTruthy();
    const button = screen.getByRole('button', { name: 'New private chat' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(button.getAttribute('aria-describedby')).toBe('private-off');
  });
});
