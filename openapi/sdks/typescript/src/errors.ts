import type { ErrorDetail, QuotaDetail } from './types.js';

/** An error answer of the Confab API: its HTTP status and the body's `error` object. */
export class ConfabError extends Error {
  override readonly name = 'ConfabError';
  /** The HTTP status (404, 429, …). */
  readonly status: number;
  /** Stable and snake_case (`not_found`, `quota_exceeded`, …); `http_<status>` when the body had none. */
  readonly code: string;
  /** Quote it when reporting a problem; null when the answer did not come from Confab. */
  readonly requestId: string | null;
  /** The request field at fault, for validation errors. */
  readonly field: string | null;
  /** For `quota_exceeded`: the budget that refused the request. */
  readonly quota: QuotaDetail | null;
  /** Seconds to wait before retrying (`Retry-After`), when the server said. */
  readonly retryAfter: number | null;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    requestId?: string | null;
    field?: string | null;
    quota?: QuotaDetail | null;
    retryAfter?: number | null;
  }) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId ?? null;
    this.field = init.field ?? null;
    this.quota = init.quota ?? null;
    this.retryAfter = init.retryAfter ?? null;
  }

  /** The error of a non-2xx response whose body (parsed JSON, text or nothing) is `body`. */
  static fromResponse(response: Response, body: unknown): ConfabError {
    const detail = errorDetail(body);
    const retryAfterMs = parseRetryAfter(response.headers.get('Retry-After'));
    return new ConfabError({
      status: response.status,
      code: detail?.code ?? `http_${response.status}`,
      message: detail?.message ?? (response.statusText || `HTTP ${response.status}`),
      requestId: detail?.request_id ?? response.headers.get('X-Request-Id'),
      field: detail?.field ?? null,
      quota: detail?.quota ?? null,
      retryAfter: retryAfterMs === null ? null : Math.ceil(retryAfterMs / 1000),
    });
  }
}

/** The request got no answer: offline, connection refused or dropped, DNS failure. */
export class ConfabNetworkError extends Error {
  override readonly name = 'ConfabNetworkError';
  constructor(message = 'The network connection was lost.', options?: { cause?: unknown }) {
    super(message, options);
  }
}

function errorDetail(body: unknown): Partial<ErrorDetail> | null {
  if (typeof body !== 'object' || body === null || !('error' in body)) return null;
  const error = (body as { error: unknown }).error;
  return typeof error === 'object' && error !== null ? (error as Partial<ErrorDetail>) : null;
}

/** `Retry-After` in milliseconds (delay-seconds or an HTTP date), or null when absent or invalid. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Whether `e` is the rejection of an aborted operation (`AbortError` or `TimeoutError`). */
export function isAbortError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'name' in e && (e.name === 'AbortError' || e.name === 'TimeoutError');
}
