from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.conversation_detail import ConversationDetail
from ...models.error_body import ErrorBody
from ...models.import_conversation import ImportConversation
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: ImportConversation,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/conversations/import",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json; charset=utf-8"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ConversationDetail | ErrorBody | None:
    if response.status_code == 201:
        response_201 = ConversationDetail.from_dict(response.json())

        return response_201

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
) -> Response[ConversationDetail | ErrorBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: ImportConversation,
    idempotency_key: str | Unset = UNSET,
) -> Response[ConversationDetail | ErrorBody]:
    """Save a conversation kept in the browser (a private chat) into my history: its messages,
    in order, on one branch; searchable like any other. Nothing else about the private chat
    reaches the server. Audited with the message count only.

    Args:
        idempotency_key (str | Unset):
        body (ImportConversation): A conversation kept in the browser (a private chat), to save
            into the caller's history.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConversationDetail | ErrorBody]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: ImportConversation,
    idempotency_key: str | Unset = UNSET,
) -> ConversationDetail | ErrorBody | None:
    """Save a conversation kept in the browser (a private chat) into my history: its messages,
    in order, on one branch; searchable like any other. Nothing else about the private chat
    reaches the server. Audited with the message count only.

    Args:
        idempotency_key (str | Unset):
        body (ImportConversation): A conversation kept in the browser (a private chat), to save
            into the caller's history.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConversationDetail | ErrorBody
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: ImportConversation,
    idempotency_key: str | Unset = UNSET,
) -> Response[ConversationDetail | ErrorBody]:
    """Save a conversation kept in the browser (a private chat) into my history: its messages,
    in order, on one branch; searchable like any other. Nothing else about the private chat
    reaches the server. Audited with the message count only.

    Args:
        idempotency_key (str | Unset):
        body (ImportConversation): A conversation kept in the browser (a private chat), to save
            into the caller's history.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConversationDetail | ErrorBody]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: ImportConversation,
    idempotency_key: str | Unset = UNSET,
) -> ConversationDetail | ErrorBody | None:
    """Save a conversation kept in the browser (a private chat) into my history: its messages,
    in order, on one branch; searchable like any other. Nothing else about the private chat
    reaches the server. Audited with the message count only.

    Args:
        idempotency_key (str | Unset):
        body (ImportConversation): A conversation kept in the browser (a private chat), to save
            into the caller's history.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConversationDetail | ErrorBody
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
