"""Python client for the Confab API.

- `Confab` / `AsyncConfab`: base URL + API token; `.api` is the generated client to pass to every
  generated operation (`confab_client.generated.api.<tag>.<operation_id>`, models in
  `confab_client.generated.models`).
- `stream_message` / `message_events` (and regenerate/continue/edit): typed answer events with
  automatic reattach (`confab_client.events`).
- `stream_private_turn` / `private_turn_events`: a private chat's turn (the caller keeps the
  history; the server stores nothing), typed `PrivateTurn*` events with automatic reattach.
- Errors raise `ConfabError` subclasses (`confab_client.errors`).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("confab-client")
except PackageNotFoundError:  # imported from a source tree
    __version__ = "0.0.0"

from ._transport import RetryPolicy
from .client import AsyncConfab, Confab
from .errors import (
    AuthenticationError,
    BadRequestError,
    ConfabError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    PrivateTurnGoneError,
    QuotaDetail,
    RateLimitError,
    StreamError,
    UnavailableError,
    UnprocessableEntityError,
    UnsupportedMediaTypeError,
)
from .events import (
    MessageCancelled,
    MessageCompleted,
    MessageCreated,
    MessageDelta,
    MessageFailed,
    PrivateStreamEvent,
    PrivateTurnCancelled,
    PrivateTurnCompleted,
    PrivateTurnCreated,
    PrivateTurnDelta,
    PrivateTurnError,
    PrivateTurnFailed,
    StreamEvent,
    UnknownEvent,
)
from .streaming import AsyncMessageStream, AsyncPrivateTurnStream, MessageStream, PrivateTurnStream, ReattachPolicy

__all__ = [
    "AsyncConfab",
    "AsyncMessageStream",
    "AsyncPrivateTurnStream",
    "AuthenticationError",
    "BadRequestError",
    "ConfabError",
    "Confab",
    "ConflictError",
    "InternalServerError",
    "MessageCancelled",
    "MessageCompleted",
    "MessageCreated",
    "MessageDelta",
    "MessageFailed",
    "MessageStream",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PrivateStreamEvent",
    "PrivateTurnCancelled",
    "PrivateTurnCompleted",
    "PrivateTurnCreated",
    "PrivateTurnDelta",
    "PrivateTurnError",
    "PrivateTurnFailed",
    "PrivateTurnGoneError",
    "PrivateTurnStream",
    "QuotaDetail",
    "RateLimitError",
    "ReattachPolicy",
    "RetryPolicy",
    "StreamError",
    "StreamEvent",
    "UnavailableError",
    "UnknownEvent",
    "UnprocessableEntityError",
    "UnsupportedMediaTypeError",
    "__version__",
]
