// Friendly words for every failure the user can meet.
import { ConfabError, ConfabNetworkError } from '../api/client';

export function describeError(e: unknown): string {
  if (e instanceof ConfabNetworkError) return 'Confab could not be reached. Check your connection and try again.';
  if (!(e instanceof ConfabError)) return 'Something went wrong. Please try again.';
  switch (e.status) {
    case 401:
      return 'Your session has ended. Please sign in again.';
    case 403:
      return `You are not allowed to do this: ${e.message}.`;
    case 404:
      return 'This was not found. It may have been deleted, or it is not shared with you.';
    case 409:
      return `This changed meanwhile: ${e.message}`;
    case 429:
      return tooMany(e);
    case 503:
      return `Confab is temporarily unavailable. Please try again in a moment.${e.retryAfter ? ` (retry in ${e.retryAfter} s)` : ''}`;
    default:
      if (e.status >= 500) return `The server had a problem. If it persists, quote request ${e.requestId ?? '(unknown)'}.`;
      return e.message;
  }
}

function tooMany(e: ConfabError): string {
  const q = e.quota;
  if (q) {
    const who = q.scope === 'tenant' ? 'Your organisation has' : 'You have';
    const resets = new Date(q.resets_at).toLocaleString();
    return `${who} used ${q.used.toLocaleString()} of ${q.limit.toLocaleString()} tokens ${q.period === 'day' ? 'today' : `this ${q.period}`}; ${q.remaining.toLocaleString()} left, and this needs up to ${q.requested.toLocaleString()}. The budget resets ${resets}.`;
  }
  const when = e.retryAfter ? `in ${e.retryAfter} second${e.retryAfter === 1 ? '' : 's'}` : 'in a moment';
  return `Too many requests right now. Please try again ${when}.`;
}
