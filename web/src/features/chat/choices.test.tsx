import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConversationDetail, Message } from '../../api/client';
import { applyChoiceEvent, openChoiceSet, positionsOf, type ChoiceSet } from './choices';
import { ChoiceBoard } from './components/ChoiceBoard';
import { Composer } from './components/Composer';

afterEach(cleanup);

function message(over: Partial<Message>): Message {
  return {
    id: 'a1', conversation_id: 'c', role: 'assistant', status: 'completed', content: '',
    created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', ...over,
  };
}
const noop = () => {};

function set(over: Partial<ChoiceSet> = {}): ChoiceSet {
  return {
    id: 's', conversation_id: 'c', parent_id: 'u', message_ids: ['a', 'b', 'c'],
    created_at: '2026-01-01T00:00:00Z', ...over,
  };
}

function detail(messages: Message[], choice_sets: ChoiceSet[]): ConversationDetail {
  return { conversation: {} as ConversationDetail['conversation'], view: 'branch', messages, choice_sets };
}

describe('openChoiceSet', () => {
  const branch = [message({ id: 'u', role: 'user' }), message({ id: 'a', parent_id: 'u' })];
  it('is the unpicked set the branch ends in', () => {
    expect(openChoiceSet(detail(branch, [set()]))?.id).toBe('s');
  });
  it('is none once picked, or once the conversation moved on', () => {
    expect(openChoiceSet(detail(branch, [set({ picked_message_id: 'a' })]))).toBeNull();
    const moved = [...branch, message({ id: 'u2', role: 'user', parent_id: 'a' }), message({ id: 'a2', parent_id: 'u2' })];
    expect(openChoiceSet(detail(moved, [set()]))).toBeNull();
    expect(openChoiceSet(undefined)).toBeNull();
  });
});

describe('the set stream', () => {
  it('resumes each answer where the page has it: its length in bytes while written, x once ended', () => {
    const answers = [
      message({ id: 'a', status: 'streaming', content: 'héllo' }),
      message({ id: 'b', status: 'completed', content: 'done' }),
      message({ id: 'c', status: 'queued' }),
    ];
    expect(positionsOf(answers)).toBe('6.x.0');
  });

  it('appends each delta to its own answer once, and takes the final message', () => {
    let answers = [message({ id: 'a', status: 'queued' }), message({ id: 'b', status: 'queued' })];
    answers = applyChoiceEvent(answers, { type: 'message.delta', message_id: 'b', content: 'Hi ', offset: 3 });
    answers = applyChoiceEvent(answers, { type: 'message.delta', message_id: 'a', content: 'Yo', offset: 2 });
    answers = applyChoiceEvent(answers, { type: 'message.delta', message_id: 'b', content: 'Hi ', offset: 3 }); // a replay
    answers = applyChoiceEvent(answers, { type: 'message.delta', message_id: 'b', content: 'there', offset: 8 });
    expect(answers.map((a) => [a.content, a.status])).toEqual([['Yo', 'streaming'], ['Hi there', 'streaming']]);
    answers = applyChoiceEvent(answers, { type: 'message.cancelled', message: message({ id: 'a', status: 'cancelled', content: 'Yo' }) });
    expect(answers.map((a) => a.status)).toEqual(['cancelled', 'streaming']);
  });
});

describe('ChoiceBoard', () => {
  it('shows the answers side by side, each with its own stop and "use this answer"', () => {
    const onStop = vi.fn();
    const onPick = vi.fn();
    const answers = [
      message({ id: 'a', status: 'streaming', content: 'first', model: 'gpt-4o' }),
      message({ id: 'b', status: 'completed', content: 'second', model: 'claude' }),
      message({ id: 'c', status: 'cancelled', content: 'thi', model: 'gpt-4o' }),
    ];
    render(<ChoiceBoard answers={answers} busy={false} onStop={onStop} onPick={onPick} />);
    const board = screen.getByRole('region', { name: '3 answers to choose from' });
    expect(board.getAttribute('data-count')).toBe('3');
    const first = screen.getByRole('article', { name: 'Answer 1' });
    expect(within(first).queryByRole('button', { name: 'Use this answer' })).toBeNull();
    fireEvent.click(within(first).getByRole('button', { name: 'Stop' }));
    expect(onStop).toHaveBeenCalledWith(answers[0]);
    const second = screen.getByRole('article', { name: 'Answer 2' });
    expect(within(second).getByText('claude')).toBeTruthy();
    fireEvent.click(within(second).getByRole('button', { name: 'Use this answer' }));
    expect(onPick).toHaveBeenCalledWith(answers[1]);
    expect(within(screen.getByRole('article', { name: 'Answer 3' })).getByText('Stopped.')).toBeTruthy();
  });
});

describe('Composer answers control', () => {
  it('asks for 1 to 4 answers', () => {
    const onChoices = vi.fn();
    render(<Composer initial="" models={[]} model="" onModel={noop} choices={1} onChoices={onChoices} streaming={false} busy={false} onDraft={noop} onSend={noop} onStop={noop} />);
    const select = screen.getByLabelText('Answers');
    expect(Array.from(select.querySelectorAll('option')).map((o) => o.textContent)).toEqual(['1 answer', '2 answers', '3 answers', '4 answers']);
    fireEvent.change(select, { target: { value: '3' } });
    expect(onChoices).toHaveBeenCalledWith(3);
  });
});
