from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: UUID,
    *,
    last_event_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(last_event_id, Unset):
        headers["Last-Event-ID"] = last_event_id

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/choice-sets/{id}/events".format(
            id=quote(str(id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | str | None:
    if response.status_code == 200:
        response_200 = response.text
        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = ErrorBody.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = ErrorBody.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = ErrorBody.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = ErrorBody.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = ErrorBody.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = ErrorBody.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | str]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient,
    last_event_id: str | Unset = UNSET,
) -> Response[ErrorBody | str]:
    """Attach to every answer of a choice set on one stream, live or finished.

     The events are those of `GET /v1/messages/{id}/events`, interleaved as the answers are
    written; each carries its answer's id (`message_id`, or `assistant_message_id` and
    `choice` on `message.created`). Each event's `id:` holds one position per answer in choice
    order, joined by `.`: `-` (nothing received yet), the answer's length in bytes received so
    far (`0` right after its `message.created`), or `x` (its final event was received) — e.g.
    `412.x.-`. Sent back as `Last-Event-ID`, it resumes every answer right after its position,
    with no gap and no duplicate; the stream ends when every answer has sent its final event.

    Args:
        id (UUID):
        last_event_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | str]
    """

    kwargs = _get_kwargs(
        id=id,
        last_event_id=last_event_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: UUID,
    *,
    client: AuthenticatedClient,
    last_event_id: str | Unset = UNSET,
) -> ErrorBody | str | None:
    """Attach to every answer of a choice set on one stream, live or finished.

     The events are those of `GET /v1/messages/{id}/events`, interleaved as the answers are
    written; each carries its answer's id (`message_id`, or `assistant_message_id` and
    `choice` on `message.created`). Each event's `id:` holds one position per answer in choice
    order, joined by `.`: `-` (nothing received yet), the answer's length in bytes received so
    far (`0` right after its `message.created`), or `x` (its final event was received) — e.g.
    `412.x.-`. Sent back as `Last-Event-ID`, it resumes every answer right after its position,
    with no gap and no duplicate; the stream ends when every answer has sent its final event.

    Args:
        id (UUID):
        last_event_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | str
    """

    return sync_detailed(
        id=id,
        client=client,
        last_event_id=last_event_id,
    ).parsed


async def asyncio_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient,
    last_event_id: str | Unset = UNSET,
) -> Response[ErrorBody | str]:
    """Attach to every answer of a choice set on one stream, live or finished.

     The events are those of `GET /v1/messages/{id}/events`, interleaved as the answers are
    written; each carries its answer's id (`message_id`, or `assistant_message_id` and
    `choice` on `message.created`). Each event's `id:` holds one position per answer in choice
    order, joined by `.`: `-` (nothing received yet), the answer's length in bytes received so
    far (`0` right after its `message.created`), or `x` (its final event was received) — e.g.
    `412.x.-`. Sent back as `Last-Event-ID`, it resumes every answer right after its position,
    with no gap and no duplicate; the stream ends when every answer has sent its final event.

    Args:
        id (UUID):
        last_event_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | str]
    """

    kwargs = _get_kwargs(
        id=id,
        last_event_id=last_event_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: UUID,
    *,
    client: AuthenticatedClient,
    last_event_id: str | Unset = UNSET,
) -> ErrorBody | str | None:
    """Attach to every answer of a choice set on one stream, live or finished.

     The events are those of `GET /v1/messages/{id}/events`, interleaved as the answers are
    written; each carries its answer's id (`message_id`, or `assistant_message_id` and
    `choice` on `message.created`). Each event's `id:` holds one position per answer in choice
    order, joined by `.`: `-` (nothing received yet), the answer's length in bytes received so
    far (`0` right after its `message.created`), or `x` (its final event was received) — e.g.
    `412.x.-`. Sent back as `Last-Event-ID`, it resumes every answer right after its position,
    with no gap and no duplicate; the stream ends when every answer has sent its final event.

    Args:
        id (UUID):
        last_event_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | str
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            last_event_id=last_event_id,
        )
    ).parsed
