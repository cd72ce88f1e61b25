import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Message } from '../../api/client';
import { clearDraft, loadDraft, saveDraft } from './drafts';
import { latestLeaf, titleFrom } from './messages';
import { Composer } from './components/Composer';
import { MessageRow } from './components/MessageRow';

afterEach(cleanup);

function message(over: Partial<Message>): Message {
  return {
    id: 'a1', conversation_id: 'c', role: 'assistant', status: 'completed', content: 'Hello **world**',
    created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', ...over,
  };
}
const noop = () => {};

describe('MessageRow', () => {
  it('navigates between versions ‹ 2 / 3 ›', () => {
    const onBranch = vi.fn();
    render(<MessageRow message={message({ id: 'b', sibling_ids: ['a', 'b', 'c'] })} busy={false} onBranch={onBranch} onRegenerate={noop} onContinue={noop} onEdit={noop} />);
    expect(screen.getByText('2 / 3')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Previous version' }));
    fireEvent.click(screen.getByRole('button', { name: 'Next version' }));
    expect(onBranch.mock.calls).toEqual([['a'], ['c']]);
  });

  it('offers Continue for a partial answer and Retry for a failed one, saying what happened', () => {
    const onContinue = vi.fn();
    const onRegenerate = vi.fn();
    const { rerender } = render(
      <MessageRow message={message({ status: 'partial', error: { code: 'upstream_stream_broken', message: 'The provider stopped.' } })} busy={false} onBranch={noop} onRegenerate={onRegenerate} onContinue={onContinue} onEdit={noop} />,
    );
    expect(screen.getByText(/interrupted before it finished/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    expect(onContinue).toHaveBeenCalledOnce();
    rerender(
      <MessageRow message={message({ status: 'failed', content: '', error: { code: 'upstream_rate_limited', message: 'Rate limited.', retry_after_secs: 20 } })} busy={false} onBranch={noop} onRegenerate={onRegenerate} onContinue={onContinue} onEdit={noop} />,
    );
    expect(screen.getByText(/This answer failed\. Rate limited\. You can retry in 20 s\./)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(onRegenerate).toHaveBeenCalledOnce();
  });

  it('edits a user message into a new branch', () => {
    const onEdit = vi.fn();
    render(<MessageRow message={message({ role: 'user', content: 'Old' })} busy={false} onBranch={noop} onRegenerate={noop} onContinue={noop} onEdit={onEdit} />);
    fireEvent.click(screen.getByRole('button', { name: 'Edit' }));
    fireEvent.change(screen.getByLabelText('Edit message'), { target: { value: 'New' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save and send' }));
    expect(onEdit).toHaveBeenCalledWith('New');
  });

  it('renders model output as sanitized markdown and user text as plain text', async () => {
    const { container } = render(
      <>
        <MessageRow message={message({ content: '**bold** <b onclick="x()">raw</b>' })} busy={false} onBranch={noop} onRegenerate={noop} onContinue={noop} onEdit={noop} />
        <MessageRow message={message({ id: 'u', role: 'user', content: '**not markdown**' })} busy={false} onBranch={noop} onRegenerate={noop} onContinue={noop} onEdit={noop} />
      </>,
    );
    expect((await screen.findByText('bold')).tagName).toBe('STRONG'); // the renderer loads lazily
    expect(container.querySelector('.md strong')?.textContent).toBe('bold');
    expect(container.querySelector('[onclick]')).toBeNull();
    expect(container.querySelector('.user-text')?.textContent).toBe('**not markdown**');
  });
});

describe('Composer', () => {
  it('sends on Enter, adds a line on Shift+Enter, shows Stop while streaming', () => {
    const onSend = vi.fn();
    const onStop = vi.fn();
    const props = { initial: '', models: [], model: '', onModel: noop, busy: false, onDraft: noop, onSend, onStop };
    const { rerender } = render(<Composer {...props} streaming={false} />);
    const box = screen.getByLabelText('Message');
    fireEvent.change(box, { target: { value: 'Hi' } });
    fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
    expect(onSend).not.toHaveBeenCalled();
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(onSend).toHaveBeenCalledWith('Hi');
    rerender(<Composer {...props} streaming />);
    fireEvent.click(screen.getByRole('button', { name: 'Stop' }));
    expect(onStop).toHaveBeenCalledOnce();
  });

  it('does not send blank text', () => {
    const onSend = vi.fn();
    render(<Composer initial="   " models={[]} model="" onModel={noop} streaming={false} busy={false} onDraft={noop} onSend={onSend} onStop={noop} />);
    fireEvent.keyDown(screen.getByLabelText('Message'), { key: 'Enter' });
    expect(onSend).not.toHaveBeenCalled();
  });
});

describe('drafts', () => {
  it('keep the text and idempotency key across loads, and clear', async () => {
    await saveDraft('k', { text: 'half', idempotencyKey: 'key-1' });
    expect(await loadDraft('k')).toEqual({ text: 'half', idempotencyKey: 'key-1' });
    await clearDraft('k');
    expect(await loadDraft('k')).toBeNull();
  });
});

describe('helpers', () => {
  it('finds the newest leaf below a message', () => {
    const m = (id: string, parent_id?: string) => message({ id, parent_id });
    const tree = [m('u1'), m('a1', 'u1'), m('u2', 'a1'), m('a2', 'u2'), m('a1b', 'u1'), m('u3', 'a1b')];
    expect(latestLeaf(tree, 'u1')).toBe('u3');
    expect(latestLeaf(tree, 'a1')).toBe('a2');
    expect(latestLeaf(tree, 'a2')).toBe('a2');
  });
  it('makes a one-line title', () => {
    expect(titleFrom('  Show me\n\n a table\t[x]')).toBe('Show me a table [x]');
    expect(titleFrom('\n\n')).toBe('New chat');
    expect(Array.from(titleFrom('é'.repeat(100)))).toHaveLength(60);
  });
});
