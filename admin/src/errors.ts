// Friendly words for every failure an admin can meet.
import { ConfabError, ConfabNetworkError } from './api/client';

export function describeError(e: unknown): string {
  if (e instanceof ConfabNetworkError || e instanceof TypeError) return 'Confab could not be reached. Check the connection and try again.';
  if (!(e instanceof ConfabError)) return 'Something went wrong. Please try again.';
  switch (e.status) {
    case 401:
      return 'Your session has ended. Please sign in again.';
    case 403:
      return `Your role does not allow this (${e.message}).`;
    case 404:
      return 'This was not found. It may have been deleted meanwhile.';
    case 409:
      return sentence(e.message);
    case 429:
      return `Too many requests right now. Please try again${e.retryAfter ? ` in ${e.retryAfter} s` : ' in a moment'}.`;
    case 503:
      return 'Confab is temporarily unavailable. Please try again in a moment.';
    default:
      if (e.status >= 500) return `The server had a problem. If it persists, quote request ${e.requestId ?? '(unknown)'}.`;
      return e.field ? `${e.message} (${e.field})` : e.message;
  }
}

function sentence(s: string): string {
  const t = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

export function isForbidden(e: unknown): boolean {
  return e instanceof ConfabError && e.status === 403;
}
