from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.stream_event_message_cancelled import StreamEventMessageCancelled
from ...models.stream_event_message_completed import StreamEventMessageCompleted
from ...models.stream_event_message_created import StreamEventMessageCreated
from ...models.stream_event_message_delta import StreamEventMessageDelta
from ...models.stream_event_message_failed import StreamEventMessageFailed
from ...models.turn_view import TurnView
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: UUID,
    *,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/messages/{id}/continue".format(
            id=quote(str(id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> (
    ErrorBody
    | TurnView
    | list[
        StreamEventMessageCancelled
        | StreamEventMessageCompleted
        | StreamEventMessageCreated
        | StreamEventMessageDelta
        | StreamEventMessageFailed
    ]
    | None
):
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.text
        for response_200_item_data in _response_200:

            def _parse_response_200_item(
                data: object,
            ) -> (
                StreamEventMessageCancelled
                | StreamEventMessageCompleted
                | StreamEventMessageCreated
                | StreamEventMessageDelta
                | StreamEventMessageFailed
            ):
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_stream_event_type_0 = (
                        StreamEventMessageCreated.from_dict(data)
                    )

                    return componentsschemas_stream_event_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_stream_event_type_1 = (
                        StreamEventMessageDelta.from_dict(data)
                    )

                    return componentsschemas_stream_event_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_stream_event_type_2 = (
                        StreamEventMessageCompleted.from_dict(data)
                    )

                    return componentsschemas_stream_event_type_2
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_stream_event_type_3 = (
                        StreamEventMessageFailed.from_dict(data)
                    )

                    return componentsschemas_stream_event_type_3
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_stream_event_type_4 = (
                    StreamEventMessageCancelled.from_dict(data)
                )

                return componentsschemas_stream_event_type_4

            response_200_item = _parse_response_200_item(response_200_item_data)

            response_200.append(response_200_item)

        return response_200

    if response.status_code == 202:
        response_202 = TurnView.from_dict(response.json())

        return response_202

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
) -> Response[
    ErrorBody
    | TurnView
    | list[
        StreamEventMessageCancelled
        | StreamEventMessageCompleted
        | StreamEventMessageCreated
        | StreamEventMessageDelta
        | StreamEventMessageFailed
    ]
]:
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
    idempotency_key: str | Unset = UNSET,
) -> Response[
    ErrorBody
    | TurnView
    | list[
        StreamEventMessageCancelled
        | StreamEventMessageCompleted
        | StreamEventMessageCreated
        | StreamEventMessageDelta
        | StreamEventMessageFailed
    ]
]:
    """Continue a `partial` answer where it stopped.

    Args:
        id (UUID):
        idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | TurnView | list[StreamEventMessageCancelled | StreamEventMessageCompleted | StreamEventMessageCreated | StreamEventMessageDelta | StreamEventMessageFailed]]
    """

    kwargs = _get_kwargs(
        id=id,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: UUID,
    *,
    client: AuthenticatedClient,
    idempotency_key: str | Unset = UNSET,
) -> (
    ErrorBody
    | TurnView
    | list[
        StreamEventMessageCancelled
        | StreamEventMessageCompleted
        | StreamEventMessageCreated
        | StreamEventMessageDelta
        | StreamEventMessageFailed
    ]
    | None
):
    """Continue a `partial` answer where it stopped.

    Args:
        id (UUID):
        idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | TurnView | list[StreamEventMessageCancelled | StreamEventMessageCompleted | StreamEventMessageCreated | StreamEventMessageDelta | StreamEventMessageFailed]
    """

    return sync_detailed(
        id=id,
        client=client,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient,
    idempotency_key: str | Unset = UNSET,
) -> Response[
    ErrorBody
    | TurnView
    | list[
        StreamEventMessageCancelled
        | StreamEventMessageCompleted
        | StreamEventMessageCreated
        | StreamEventMessageDelta
        | StreamEventMessageFailed
    ]
]:
    """Continue a `partial` answer where it stopped.

    Args:
        id (UUID):
        idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | TurnView | list[StreamEventMessageCancelled | StreamEventMessageCompleted | StreamEventMessageCreated | StreamEventMessageDelta | StreamEventMessageFailed]]
    """

    kwargs = _get_kwargs(
        id=id,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: UUID,
    *,
    client: AuthenticatedClient,
    idempotency_key: str | Unset = UNSET,
) -> (
    ErrorBody
    | TurnView
    | list[
        StreamEventMessageCancelled
        | StreamEventMessageCompleted
        | StreamEventMessageCreated
        | StreamEventMessageDelta
        | StreamEventMessageFailed
    ]
    | None
):
    """Continue a `partial` answer where it stopped.

    Args:
        id (UUID):
        idempotency_key (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | TurnView | list[StreamEventMessageCancelled | StreamEventMessageCompleted | StreamEventMessageCreated | StreamEventMessageDelta | StreamEventMessageFailed]
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            idempotency_key=idempotency_key,
        )
    ).parsed
