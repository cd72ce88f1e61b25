import { describe, expect, it } from 'vitest';
import { mappingProblems } from './mappings';

describe('mappingProblems', () => {
  it('accepts distinct, named groups', () => {
    expect(mappingProblems([])).toEqual([]);
    expect(mappingProblems([{ group: 'Confab Admins', role: 'tenant_admin' }, { group: 'Audit', role: 'auditor' }])).toEqual([]);
  });

  it('refuses an empty group name', () => {
    expect(mappingProblems([{ group: '  ', role: 'member' }])).toEqual(['Every mapping needs a group name.']);
  });

  it('refuses a group mapped twice, whatever the case', () => {
    const problems = mappingProblems([{ group: 'Admins', role: 'tenant_admin' }, { group: 'admins ', role: 'auditor' }]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('mapped twice');
  });

  it('refuses control characters and overlong names', () => {
    expect(mappingProblems([{ group: 'a\u0007b', role: 'member' }])[0]).toContain('printable');
    expect(mappingProblems([{ group: 'x'.repeat(513), role: 'member' }])[0]).toContain('printable');
  });

  it('refuses more than 200 mappings', () => {
    const rows = Array.from({ length: 201 }, (_, i) => ({ group: `g${i}`, role: 'member' as const }));
    expect(mappingProblems(rows)).toEqual(['At most 200 groups can be mapped.']);
  });
});
