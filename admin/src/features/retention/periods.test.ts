import { describe, expect, it } from 'vitest';
import { boundsText, changes, daysText, draftOf, fieldError, kindLabel, periodsOf } from './periods';

const policy = { conversation_days: 90, deleted_grace_days: 0, share_days: null, usage_days: 400, audit_days: null };

describe('retention periods in the form', () => {
  it('reads a policy into a draft and back, forever as a ticked box', () => {
    const d = draftOf(policy);
    expect(d.days.conversation_days).toBe('90');
    expect(d.days.deleted_grace_days).toBe('0');
    expect(d.forever.share_days).toBe(true);
    expect(d.forever.deleted_grace_days).toBe(false);
    expect(periodsOf(d)).toEqual({ periods: policy });
  });

  it('names the fields that are not a whole number of days, and leaves ranges to the server', () => {
    const d = draftOf(policy);
    d.days.conversation_days = '12.5';
    d.days.usage_days = '';
    const r = periodsOf(d);
    expect('errors' in r && Object.keys(r.errors).sort()).toEqual(['conversation_days', 'usage_days']);
    d.days.conversation_days = '0';
    d.days.usage_days = '99999';
    expect(periodsOf(d)).toEqual({ periods: { ...policy, conversation_days: 0, usage_days: 99999 } });
  });

  it('says days, bounds and what changes in words', () => {
    expect(daysText(null)).toBe('forever');
    expect(daysText(1)).toBe('1 day');
    expect(boundsText(30, 365)).toBe('30 days to 365 days');
    expect(boundsText(30, null)).toBe('at least 30 days');
    expect(boundsText(null, 7)).toBe('at most 7 days (not forever)');
    expect(boundsText(null, undefined)).toBe('any');
    expect(changes(policy, { ...policy, share_days: 30, audit_days: null })).toEqual([{ label: 'Shares', from: 'forever', to: '30 days' }]);
    expect(changes(null, policy).map((c) => c.label)).toEqual(['Conversations', 'Deleted conversations', 'Usage events']);
  });

  it('finds the field of a server error, with and without a prefix', () => {
    expect(fieldError({ field: 'conversation_days', message: 'conversation_days must be at least 30 days (the platform floor)' })).toEqual({
      field: 'conversation_days',
      reason: 'must be at least 30 days (the platform floor)',
    });
    expect(fieldError({ field: 'floor.share_days', message: 'floor.share_days the floor (9 days) is above the ceiling (3 days)' }, 'floor')).toEqual({
      field: 'share_days',
      reason: 'the floor (9 days) is above the ceiling (3 days)',
    });
    expect(fieldError({ field: 'floor.share_days', message: 'x' }, 'ceiling')).toBeNull();
    expect(fieldError({ field: 'limit', message: 'limit must be…' })).toBeNull();
    expect(fieldError({ field: null, message: 'boom' })).toBeNull();
  });

  it('names the kinds of the preview', () => {
    expect(kindLabel('share_views')).toBe('Share views');
    expect(kindLabel('something_new')).toBe('something new');
  });
});
