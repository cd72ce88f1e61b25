// Export and import of private conversations: a JSON file the user keeps (the only copy outside
// this browser), read back with every problem reported, never a conversation silently dropped.
import type { PrivateConversation, PrivateMessage, PrivateStatus } from './store';

export const FORMAT = 'confab.private-conversations';
export const VERSION = 1;
/** Larger files are refused before they are read (a whole history is far smaller). */
export const MAX_IMPORT_BYTES = 50 * 1024 * 1024;
const MAX_TITLE = 200;

export type ExportedMessage = Pick<PrivateMessage, 'role' | 'content' | 'status' | 'created_at'> & {
  model?: string | null;
  error?: PrivateMessage['error'];
};
export type ExportedConversation = Pick<PrivateConversation, 'id' | 'title' | 'created_at' | 'updated_at' | 'model' | 'preset_id'> & {
  messages: ExportedMessage[];
};
export interface ExportFile {
  format: typeof FORMAT;
  version: typeof VERSION;
  exported_at: string;
  conversations: ExportedConversation[];
}

/** The file's content: what the user wrote and read, without this browser's bookkeeping. */
export function exportFile(conversations: PrivateConversation[], now = new Date()): ExportFile {
  return {
    format: FORMAT,
    version: VERSION,
    exported_at: now.toISOString(),
    conversations: conversations.map((c) => ({
      id: c.id,
      title: c.title,
      created_at: c.created_at,
      updated_at: c.updated_at,
      model: c.model,
      preset_id: c.preset_id,
      messages: c.messages.map((m) => ({
        role: m.role,
        content: m.content,
        // An answer still being written is, in the file, one that stopped where it was.
        status: m.status === 'streaming' ? 'partial' : m.status,
        created_at: m.created_at,
        ...(m.model ? { model: m.model } : {}),
        ...(m.error ? { error: m.error } : {}),
      })),
    })),
  };
}

/** A file name for an export: `confab-private-<title>-<date>.json`. */
export function exportName(what: string, now = new Date()): string {
  const slug = what.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'chat';
  return `confab-private-${slug}-${now.toISOString().slice(0, 10)}.json`;
}

export interface ImportResult {
  /** The conversations that can be stored, with their ids as in the file. */
  conversations: Omit<PrivateConversation, 'owner'>[];
  /** One line per conversation (or the whole file) that was not accepted, saying why. */
  errors: string[];
}

const STATUSES: ReadonlySet<string> = new Set<PrivateStatus>(['completed', 'partial', 'failed', 'cancelled']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isDate = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));

/** Reads an export file's text: the conversations it holds, and what is wrong with the rest. */
export function parseImport(text: string, newId: () => string, now = new Date()): ImportResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { conversations: [], errors: ['The file is not JSON: is it a Confab export?'] };
  }
  if (!isObject(data) || data.format !== FORMAT) {
    return { conversations: [], errors: ['The file is not an export of Confab private conversations.'] };
  }
  if (data.version !== VERSION) {
    return { conversations: [], errors: [`The file is format version ${String(data.version)}; this Confab reads version ${VERSION}.`] };
  }
  if (!Array.isArray(data.conversations)) return { conversations: [], errors: ['The file lists no conversations.'] };
  const conversations: ImportResult['conversations'] = [];
  const errors: string[] = [];
  data.conversations.forEach((raw: unknown, i: number) => {
    const name = isObject(raw) && typeof raw.title === 'string' && raw.title.trim() ? `“${raw.title.trim().slice(0, 60)}”` : `number ${i + 1}`;
    const problem = conversationProblem(raw);
    if (problem) errors.push(`Conversation ${name} was not imported: ${problem}.`);
    else conversations.push(toConversation(raw as Record<string, unknown>, newId, now));
  });
  return { conversations, errors };
}

function conversationProblem(raw: unknown): string | null {
  if (!isObject(raw)) return 'it is not an object';
  if (typeof raw.title !== 'string') return 'it has no title';
  if (raw.title.length > MAX_TITLE) return `its title is longer than ${MAX_TITLE} characters`;
  if (!Array.isArray(raw.messages)) return 'it has no list of messages';
  for (const [j, m] of (raw.messages as unknown[]).entries()) {
    const where = `message ${j + 1}`;
    if (!isObject(m)) return `${where} is not an object`;
    if (m.role !== 'user' && m.role !== 'assistant') return `${where} has the role ${JSON.stringify(m.role)} (user or assistant expected)`;
    if (typeof m.content !== 'string') return `${where} has no text`;
    if (m.status !== undefined && (typeof m.status !== 'string' || !STATUSES.has(m.status))) return `${where} has the status ${JSON.stringify(m.status)}`;
    if (m.role === 'user' && m.status !== undefined && m.status !== 'completed') return `${where} is a user message with the status ${String(m.status)}`;
    if (m.model !== undefined && m.model !== null && typeof m.model !== 'string') return `${where} has a model that is not text`;
  }
  for (const field of ['model', 'preset_id'] as const) {
    if (raw[field] !== undefined && raw[field] !== null && typeof raw[field] !== 'string') return `its ${field} is not text`;
  }
  return null;
}

function toConversation(raw: Record<string, unknown>, newId: () => string, now: Date): Omit<PrivateConversation, 'owner'> {
  const stamp = now.toISOString();
  const messages = (raw.messages as Record<string, unknown>[]).map((m): PrivateMessage => {
    const error = isObject(m.error) && typeof m.error.code === 'string' && typeof m.error.message === 'string' ? { code: m.error.code, message: m.error.message } : null;
    return {
      id: newId(),
      role: m.role as PrivateMessage['role'],
      content: m.content as string,
      status: (m.status as PrivateStatus | undefined) ?? 'completed',
      created_at: isDate(m.created_at) ? m.created_at : stamp,
      ...(typeof m.model === 'string' ? { model: m.model } : {}),
      ...(error ? { error } : {}),
    };
  });
  return {
    id: typeof raw.id === 'string' && raw.id ? raw.id : newId(),
    title: (raw.title as string).trim() || 'Private chat',
    created_at: isDate(raw.created_at) ? raw.created_at : stamp,
    updated_at: isDate(raw.updated_at) ? raw.updated_at : stamp,
    model: typeof raw.model === 'string' ? raw.model : null,
    preset_id: typeof raw.preset_id === 'string' ? raw.preset_id : null,
    messages,
  };
}
