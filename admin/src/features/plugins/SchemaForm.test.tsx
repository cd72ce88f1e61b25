import { fireEvent, render, screen, within } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { SchemaForm } from './SchemaForm';
import { validate, type Json, type Schema } from './schema';

const schema: Schema = {
  type: 'object',
  properties: {
    reason: { type: 'string', minLength: 1, maxLength: 500, description: 'Shown to the user.' },
    patterns: { type: 'array', items: { type: 'string', minLength: 1 } },
    kinds: { type: 'array', items: { type: 'string', enum: ['email', 'phone'] } },
    dialect: { type: 'string', enum: ['postgresql', 'sqlite'] },
    limit: { type: 'integer', minimum: 1, maximum: 10 },
    strict: { type: 'boolean' },
    extra: { type: 'object', properties: { note: { type: 'string' } } },
  },
  required: ['reason', 'patterns'],
  additionalProperties: false,
};

let last: Record<string, Json> = {};
function Harness({ initial = {}, readOnly = false }: { initial?: Record<string, Json>; readOnly?: boolean }) {
  const [value, setValue] = useState<Record<string, Json>>(initial);
  last = value;
  return <SchemaForm schema={schema} value={value} onChange={setValue} problems={validate(schema, value)} readOnly={readOnly} />;
}

describe('SchemaForm', () => {
  it('renders a labelled control for every kind of setting', () => {
    render(<Harness />);
    expect(screen.getByLabelText(/^Reason/)).toHaveProperty('tagName', 'TEXTAREA');
    expect(screen.getByRole('group', { name: /Patterns/ })).toBeTruthy();
    expect(screen.getByRole('group', { name: /Kinds/ })).toBeTruthy();
    expect(screen.getByLabelText('Dialect')).toHaveProperty('tagName', 'SELECT');
    expect(screen.getByLabelText('Limit')).toHaveProperty('type', 'number');
    expect(screen.getByLabelText('Strict')).toHaveProperty('type', 'checkbox');
    expect(screen.getByRole('group', { name: 'Extra' })).toBeTruthy();
    expect(screen.getByText('Shown to the user.')).toBeTruthy();
  });

  it('builds the configuration as the admin edits, and leaves out cleared optional settings', () => {
    render(<Harness />);
    fireEvent.change(screen.getByLabelText(/^Reason/), { target: { value: 'No secrets' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add patterns item' }));
    fireEvent.change(screen.getByLabelText('Patterns, item 1'), { target: { value: 'secret*' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add patterns item' }));
    fireEvent.change(screen.getByLabelText('Patterns, item 2'), { target: { value: 'token' } });
    fireEvent.click(within(screen.getByRole('group', { name: /Kinds/ })).getByLabelText('phone'));
    fireEvent.change(screen.getByLabelText('Dialect'), { target: { value: 'sqlite' } });
    fireEvent.change(screen.getByLabelText('Limit'), { target: { value: '3' } });
    fireEvent.click(screen.getByLabelText('Strict'));
    fireEvent.change(screen.getByLabelText('Note'), { target: { value: 'n' } });
    expect(last).toEqual({ reason: 'No secrets', patterns: ['secret*', 'token'], kinds: ['phone'], dialect: 'sqlite', limit: 3, strict: true, extra: { note: 'n' } });

    fireEvent.click(screen.getByRole('button', { name: 'Remove Patterns item 1' }));
    fireEvent.change(screen.getByLabelText('Limit'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Dialect'), { target: { value: '' } });
    expect(last.patterns).toEqual(['token']);
    expect('limit' in last).toBe(false);
    expect('dialect' in last).toBe(false);
  });

  it('marks invalid fields and says why, next to them', () => {
    render(<Harness initial={{ reason: '', patterns: [''], limit: 11 }} />);
    const limit = screen.getByLabelText('Limit');
    expect(limit.getAttribute('aria-invalid')).toBe('true');
    const hint = document.getElementById(limit.getAttribute('aria-describedby')!);
    expect(hint?.textContent).toContain('must be at most 10');
    expect(screen.getByLabelText(/^Reason/).getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByLabelText('Patterns, item 1').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByLabelText(/^Reason/).getAttribute('aria-required')).toBe('true');
  });

  it('shows a saved configuration read-only, without add or remove buttons', () => {
    render(<Harness initial={{ reason: 'r', patterns: ['a'] }} readOnly />);
    expect(screen.getByLabelText(/^Reason/)).toHaveProperty('readOnly', true);
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('renders text from the schema as text', () => {
    const hostile: Schema = { type: 'object', properties: { x: { type: 'string', title: '<img src=x onerror=alert(1)>', description: '<script>alert(1)</script>' } } };
    const { container } = render(<SchemaForm schema={hostile} value={{}} onChange={() => {}} problems={[]} />);
    expect(container.querySelector('img, script')).toBeNull();
    expect(screen.getByText('<script>alert(1)</script>')).toBeTruthy();
  });
});
