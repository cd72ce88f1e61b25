// Every name this package's hand-written code takes from the generated types is here, so that a
// renamed schema in openapi/openapi.json is fixed in one place after `npm run gen`.
import type { components, paths } from './generated/openapi.js';

export type { components, paths, operations } from './generated/openapi.js';

/**
 * The paths as the client offers them. The spec requires an `Idempotency-Key` on the operations
 * that start a turn; the client adds a fresh one to every such call that has none (and reuses it
 * on that call's retries), so here the header is optional.
 */
export type ClientPaths = { [P in keyof paths]: { [M in keyof paths[P]]: AutoKey<paths[P][M]> } };
type AutoKey<Op> = Op extends { parameters: infer Params }
  ? Params extends { header: { 'Idempotency-Key': string } }
    ? Omit<Op, 'parameters'> & {
        parameters: Omit<Params, 'header'> & {
          header?: Omit<Params['header'], 'Idempotency-Key'> & { 'Idempotency-Key'?: string };
        };
      }
    : Op
  : Op;

/** The schemas of the spec, by name: `Schemas['ConversationView']`. */
export type Schemas = components['schemas'];

/** One server-sent event of an answer (`message.created`, `.delta`, `.completed`, `.failed`, `.cancelled`). */
export type StreamEvent = Schemas['StreamEvent'];
export type StreamEventType = StreamEvent['type'];
/** The event of one type: `EventOf<'message.delta'>`. */
export type EventOf<T extends StreamEventType> = Extract<StreamEvent, { type: T }>;
/** A message as the API shows it (what the final events carry). */
export type Message = EventOf<'message.completed'>['message'];

/** The `error` object of every error body. */
export type ErrorDetail = Schemas['ErrorBody']['error'];
/** The token budget that refused a request (`quota_exceeded`). */
export type QuotaDetail = NonNullable<ErrorDetail['quota']>;

/** The paths whose operations start a turn (they take `Idempotency-Key` and can answer with SSE). */
export type SendPath = '/v1/conversations/{id}/messages' & keyof paths;
export type EventsPath = '/v1/messages/{id}/events' & keyof paths;
/** The body of a request or response, whatever its media type string (`application/json; charset=utf-8`). */
type ContentOf<T> = T extends { content: infer C } ? C[keyof C] : never;
/** The JSON body of `POST /v1/conversations/{id}/messages`. */
export type SendMessageBody = ContentOf<NonNullable<paths[SendPath]['post']['requestBody']>>;
/** The JSON body of `POST /v1/messages/{id}/regenerate`. */
export type RegenerateBody = ContentOf<NonNullable<paths['/v1/messages/{id}/regenerate']['post']['requestBody']>>;
/** The JSON body of `POST /v1/messages/{id}/edit`. */
export type EditBody = ContentOf<NonNullable<paths['/v1/messages/{id}/edit']['post']['requestBody']>>;
/** What a turn call answers without SSE (202): the created messages. */
export type Turn = ContentOf<paths[SendPath]['post']['responses'][202]>;

/** One server-sent event of a private turn (`turn.created`, `.delta`, `.completed`, `.failed`, `.cancelled`). */
export type PrivateTurnEvent = Schemas['PrivateStreamEvent'];
/** The body of `POST /v1/private/turns`: the chat's whole history, oldest first (the server keeps none of it). */
export type PrivateTurnBody = Schemas['PrivateTurnBody'];
