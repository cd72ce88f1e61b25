// Retention periods as the console edits them: one text box per kind (days, or "keep forever"),
// read into the API's `RetentionPeriods`, and the server's bounds and errors told per field.
import type { Schemas } from '../../api/client';

export type Periods = Schemas['RetentionPeriods'];
export type PeriodField = keyof Periods;

export interface PeriodMeta {
  field: PeriodField;
  label: string;
  /** What is counted from, in a few words. */
  hint: string;
  /** The smallest period the server accepts (the deleted-conversation grace may be 0). */
  min: number;
}

export const MAX_DAYS = 36_500;

export const PERIODS: PeriodMeta[] = [
  { field: 'conversation_days', label: 'Conversations', hint: 'by last activity, with their messages, branches, plugin runs and search copies', min: 1 },
  { field: 'deleted_grace_days', label: 'Deleted conversations', hint: 'how long a conversation its owner deleted stays, hidden, before it is purged', min: 0 },
  { field: 'share_days', label: 'Shares', hint: 'share snapshots by creation, and their viewer logs', min: 1 },
  { field: 'usage_days', label: 'Usage events', hint: 'folded into daily totals first, so usage charts stay right', min: 1 },
  { field: 'audit_days', label: 'Audit entries', hint: 'the remaining chain stays verifiable from a checkpoint', min: 1 },
];

/** A form's state: the text typed per field; `forever` when the box is ticked. */
export interface Draft {
  days: Record<PeriodField, string>;
  forever: Record<PeriodField, boolean>;
}

export function draftOf(p: Periods): Draft {
  const days = {} as Draft['days'];
  const forever = {} as Draft['forever'];
  for (const { field } of PERIODS) {
    const v = p[field];
    days[field] = v === null || v === undefined ? '' : String(v);
    forever[field] = v === null || v === undefined;
  }
  return { days, forever };
}

/**
 * The periods of a draft, or the fields that are not a whole number of days. Ranges and the
 * platform's bounds are the server's to judge (its message names the bound).
 */
export function periodsOf(d: Draft): { periods: Periods } | { errors: Partial<Record<PeriodField, string>> } {
  const periods = {} as Periods;
  const errors: Partial<Record<PeriodField, string>> = {};
  for (const { field } of PERIODS) {
    if (d.forever[field]) {
      periods[field] = null;
      continue;
    }
    const text = d.days[field].trim();
    if (!/^-?\d+$/.test(text)) {
      errors[field] = text === '' ? 'Enter a number of days, or tick “Keep forever”.' : 'Enter a whole number of days.';
      continue;
    }
    periods[field] = Number(text);
  }
  return Object.keys(errors).length ? { errors } : { periods };
}

/** `30 days`, `1 day`, `forever`. */
export function daysText(v: number | null | undefined): string {
  if (v === null || v === undefined) return 'forever';
  return `${v.toLocaleString()} day${v === 1 ? '' : 's'}`;
}

/** The bound of one field, in words: "30 days to 365 days", "at least 30 days", "any". */
export function boundsText(floor: number | null | undefined, ceiling: number | null | undefined): string {
  const f = floor ?? null;
  const c = ceiling ?? null;
  if (f !== null && c !== null) return `${daysText(f)} to ${daysText(c)}`;
  if (f !== null) return `at least ${daysText(f)}`;
  if (c !== null) return `at most ${daysText(c)} (not forever)`;
  return 'any';
}

/** The fields whose value changes, in words, for the confirmation. */
export function changes(before: Periods | null | undefined, after: Periods): { label: string; from: string; to: string }[] {
  return PERIODS.filter(({ field }) => (before?.[field] ?? null) !== (after[field] ?? null)).map(({ field, label }) => ({
    label,
    from: daysText(before?.[field]),
    to: daysText(after[field]),
  }));
}

/**
 * The field an error of the API is about, and its reason without the field name: the server says
 * `floor.share_days must be at least 3 days (the platform floor)` with `field` `floor.share_days`.
 */
export function fieldError(e: { field: string | null; message: string } | null | undefined, prefix = ''): { field: PeriodField; reason: string } | null {
  if (!e?.field) return null;
  const name = prefix ? (e.field.startsWith(`${prefix}.`) ? e.field.slice(prefix.length + 1) : null) : e.field;
  const meta = PERIODS.find((p) => p.field === name);
  if (!meta) return null;
  const reason = e.message.startsWith(`${e.field} `) ? e.message.slice(e.field.length + 1) : e.message;
  return { field: meta.field, reason };
}

/** What a preview kind is, for people. */
export const KIND_LABELS: Record<string, string> = {
  conversations: 'Conversations past their period',
  messages: 'Messages in them',
  deleted_conversations: 'Deleted conversations past the grace',
  deleted_messages: 'Messages in them',
  idempotency_keys: 'Idempotency keys',
  files: 'Uploaded files no kept conversation carries',
  unattached_files: 'Uploads never sent (after a week)',
  shares: 'Shares',
  share_views: 'Share views',
  usage_events: 'Usage events',
  audit_entries: 'Audit entries',
};

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind.replace(/_/g, ' ');
}
