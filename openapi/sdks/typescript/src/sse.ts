// Server-sent events, read incrementally by the WHATWG rules: the wire format of every answer
// stream (`POST …/messages` with `Accept: text/event-stream`, `GET /v1/messages/{id}/events`).

/** One dispatched event: its `event:` name (`message` by default), its data lines, its `id:`. */
export interface SseMessage {
  event: string;
  data: string;
  id: string | null;
}

/** An incremental SSE parser: feed it chunks split anywhere (even inside a UTF-8 character). */
export class SseParser {
  private decoder = new TextDecoder();
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | null = null;
  /** The last `id:` seen, dispatched or not: what to send as `Last-Event-ID`. */
  lastEventId: string | null = null;
  /** Comment lines (`: …`) seen: the server's heartbeats. */
  comments = 0;

  push(chunk: Uint8Array | string): SseMessage[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone `\r` at the very end may be the first half of `\r\n`: wait for the next chunk.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === '') {
      const message = this.data.length ? { event: this.event || 'message', data: this.data.join('\n'), id: this.id } : null;
      this.data = [];
      this.event = '';
      return message;
    }
    if (line.startsWith(':')) {
      this.comments += 1;
      return null;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) {
      this.id = value;
      this.lastEventId = value;
    }
    return null;
  }
}

/** The UTF-8 length of a text: a message's event id after it (ids count bytes). */
export function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}
