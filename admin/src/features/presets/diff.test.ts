import { describe, expect, it } from 'vitest';
import { sideBySide } from './diff';

describe('sideBySide', () => {
  it('keeps equal lines on both sides and pairs a replaced run', () => {
    const rows = sideBySide([
      { op: 'equal', text: 'a' },
      { op: 'delete', text: 'b' },
      { op: 'delete', text: 'c' },
      { op: 'insert', text: 'B' },
      { op: 'equal', text: 'd' },
      { op: 'insert', text: 'e' },
    ]);
    expect(rows.map((r) => [r.left?.text ?? null, r.right?.text ?? null])).toEqual([
      ['a', 'a'],
      ['b', 'B'],
      ['c', null],
      ['d', 'd'],
      [null, 'e'],
    ]);
    expect(rows[1]!.left!.kind).toBe('delete');
    expect(rows[1]!.right!.kind).toBe('insert');
  });
});
