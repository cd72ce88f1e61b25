// How sizes and the server's messages read in the chat.

/** A size for people: `512 B`, `12.3 KB`, `4.5 MB` (in units of 1024, as file managers count). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  // One decimal while it says something (9.5 MB), none past 100 (120 MB), none for whole numbers.
  const digits = value >= 100 || Number.isInteger(value) ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** A server message as a sentence: capitalised, ending with a full stop. */
export function sentence(text: string): string {
  const t = text.trim();
  if (!t) return '';
  return t[0]?.toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? '' : '.');
}
