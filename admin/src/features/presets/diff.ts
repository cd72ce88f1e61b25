// A line diff (equal/delete/insert, in order) laid out side by side: unchanged lines on both
// sides, a removed run paired with the added run that replaced it.
export interface DiffLine {
  op: 'equal' | 'delete' | 'insert';
  text: string;
}
export interface SideRow {
  left: { text: string; kind: 'equal' | 'delete' } | null;
  right: { text: string; kind: 'equal' | 'insert' } | null;
}

export function sideBySide(lines: DiffLine[]): SideRow[] {
  const rows: SideRow[] = [];
  let dels: string[] = [];
  let ins: string[] = [];
  const flush = () => {
    for (let i = 0; i < Math.max(dels.length, ins.length); i++) {
      rows.push({
        left: i < dels.length ? { text: dels[i]!, kind: 'delete' } : null,
        right: i < ins.length ? { text: ins[i]!, kind: 'insert' } : null,
      });
    }
    dels = [];
    ins = [];
  };
  for (const l of lines) {
    if (l.op === 'equal') {
      flush();
      rows.push({ left: { text: l.text, kind: 'equal' }, right: { text: l.text, kind: 'equal' } });
    } else if (l.op === 'delete') {
      dels.push(l.text);
    } else {
      ins.push(l.text);
    }
  }
  flush();
  return rows;
}
