// What the server would refuse in a group → role mapping, said before saving (the server checks
// the same and stays the judge).
import type { Schemas } from '../../api/client';

export interface MappingRow {
  group: string;
  role: Schemas['TenantRole'];
}

export const MAX_MAPPINGS = 200;
const MAX_GROUP = 512;

export function mappingProblems(rows: MappingRow[]): string[] {
  const problems: string[] = [];
  if (rows.length > MAX_MAPPINGS) problems.push(`At most ${MAX_MAPPINGS} groups can be mapped.`);
  if (rows.some((r) => r.group.trim() === '')) problems.push('Every mapping needs a group name.');
  // eslint-disable-next-line no-control-regex
  if (rows.some((r) => [...r.group].length > MAX_GROUP || /[\u0000-\u001f\u007f]/.test(r.group))) {
    problems.push(`Group names are at most ${MAX_GROUP} printable characters.`);
  }
  const seen = new Set<string>();
  for (const r of rows) {
    const key = r.group.trim().toLowerCase();
    if (key && seen.has(key)) problems.push(`“${r.group.trim()}” is mapped twice (names are matched without regard to case).`);
    seen.add(key);
  }
  return problems;
}
