from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.search_results import SearchResults
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    q: str,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 20,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["q"] = q

    params["cursor"] = cursor

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/search",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | SearchResults | None:
    if response.status_code == 200:
        response_200 = SearchResults.from_dict(response.json())

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
) -> Response[ErrorBody | SearchResults]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    q: str,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 20,
) -> Response[ErrorBody | SearchResults]:
    """Search my conversations.

     Finds conversation titles and messages (mine and the answers I got) that contain every word
    of `q`, in my own conversations in the active tenant, archived ones included. The last word
    also matches as the start of a longer word (`dep` finds `deploy`) unless `q` ends with a
    space. Case does not matter; on SQLite accents do not either. Words are letters and digits:
    punctuation and operators (`"`, `*`, `-`, `:`, `(`, `OR`, `NEAR` …) have no special meaning,
    so a `q` made only of them finds nothing (an empty page, not an error).

    Best matches first; follow `next_cursor` for more. On installations searching with
    PostgreSQL full text, a query that matches more than 1,000 of my titles and messages (a
    common word) is ranked among the newest 1,000 of them. A message that is still being
    written becomes searchable when it ends (on OpenSearch installations, within about a
    second after).

    Errors: `validation_failed` (422) with `field` `q` for an empty or blank `q`, one longer
    than 256 characters or with more than 32 words; with `field` `limit` or `cursor` for a bad
    page size or a cursor this endpoint did not return. `bad_request` (400) without `q`.
    `unavailable` (503) while the search cluster (OpenSearch) is down; chat is not affected.

    Args:
        q (str):
        cursor (str | Unset): The `next_cursor` of the previous page, as returned (opaque; valid
            only for the list that returned it). Omit it for the first page.
        limit (int | Unset): Items per page. Default: 20.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | SearchResults]
    """

    kwargs = _get_kwargs(
        q=q,
        cursor=cursor,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    q: str,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 20,
) -> ErrorBody | SearchResults | None:
    """Search my conversations.

     Finds conversation titles and messages (mine and the answers I got) that contain every word
    of `q`, in my own conversations in the active tenant, archived ones included. The last word
    also matches as the start of a longer word (`dep` finds `deploy`) unless `q` ends with a
    space. Case does not matter; on SQLite accents do not either. Words are letters and digits:
    punctuation and operators (`"`, `*`, `-`, `:`, `(`, `OR`, `NEAR` …) have no special meaning,
    so a `q` made only of them finds nothing (an empty page, not an error).

    Best matches first; follow `next_cursor` for more. On installations searching with
    PostgreSQL full text, a query that matches more than 1,000 of my titles and messages (a
    common word) is ranked among the newest 1,000 of them. A message that is still being
    written becomes searchable when it ends (on OpenSearch installations, within about a
    second after).

    Errors: `validation_failed` (422) with `field` `q` for an empty or blank `q`, one longer
    than 256 characters or with more than 32 words; with `field` `limit` or `cursor` for a bad
    page size or a cursor this endpoint did not return. `bad_request` (400) without `q`.
    `unavailable` (503) while the search cluster (OpenSearch) is down; chat is not affected.

    Args:
        q (str):
        cursor (str | Unset): The `next_cursor` of the previous page, as returned (opaque; valid
            only for the list that returned it). Omit it for the first page.
        limit (int | Unset): Items per page. Default: 20.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | SearchResults
    """

    return sync_detailed(
        client=client,
        q=q,
        cursor=cursor,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    q: str,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 20,
) -> Response[ErrorBody | SearchResults]:
    """Search my conversations.

     Finds conversation titles and messages (mine and the answers I got) that contain every word
    of `q`, in my own conversations in the active tenant, archived ones included. The last word
    also matches as the start of a longer word (`dep` finds `deploy`) unless `q` ends with a
    space. Case does not matter; on SQLite accents do not either. Words are letters and digits:
    punctuation and operators (`"`, `*`, `-`, `:`, `(`, `OR`, `NEAR` …) have no special meaning,
    so a `q` made only of them finds nothing (an empty page, not an error).

    Best matches first; follow `next_cursor` for more. On installations searching with
    PostgreSQL full text, a query that matches more than 1,000 of my titles and messages (a
    common word) is ranked among the newest 1,000 of them. A message that is still being
    written becomes searchable when it ends (on OpenSearch installations, within about a
    second after).

    Errors: `validation_failed` (422) with `field` `q` for an empty or blank `q`, one longer
    than 256 characters or with more than 32 words; with `field` `limit` or `cursor` for a bad
    page size or a cursor this endpoint did not return. `bad_request` (400) without `q`.
    `unavailable` (503) while the search cluster (OpenSearch) is down; chat is not affected.

    Args:
        q (str):
        cursor (str | Unset): The `next_cursor` of the previous page, as returned (opaque; valid
            only for the list that returned it). Omit it for the first page.
        limit (int | Unset): Items per page. Default: 20.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | SearchResults]
    """

    kwargs = _get_kwargs(
        q=q,
        cursor=cursor,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    q: str,
    cursor: str | Unset = UNSET,
    limit: int | Unset = 20,
) -> ErrorBody | SearchResults | None:
    """Search my conversations.

     Finds conversation titles and messages (mine and the answers I got) that contain every word
    of `q`, in my own conversations in the active tenant, archived ones included. The last word
    also matches as the start of a longer word (`dep` finds `deploy`) unless `q` ends with a
    space. Case does not matter; on SQLite accents do not either. Words are letters and digits:
    punctuation and operators (`"`, `*`, `-`, `:`, `(`, `OR`, `NEAR` …) have no special meaning,
    so a `q` made only of them finds nothing (an empty page, not an error).

    Best matches first; follow `next_cursor` for more. On installations searching with
    PostgreSQL full text, a query that matches more than 1,000 of my titles and messages (a
    common word) is ranked among the newest 1,000 of them. A message that is still being
    written becomes searchable when it ends (on OpenSearch installations, within about a
    second after).

    Errors: `validation_failed` (422) with `field` `q` for an empty or blank `q`, one longer
    than 256 characters or with more than 32 words; with `field` `limit` or `cursor` for a bad
    page size or a cursor this endpoint did not return. `bad_request` (400) without `q`.
    `unavailable` (503) while the search cluster (OpenSearch) is down; chat is not affected.

    Args:
        q (str):
        cursor (str | Unset): The `next_cursor` of the previous page, as returned (opaque; valid
            only for the list that returned it). Omit it for the first page.
        limit (int | Unset): Items per page. Default: 20.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | SearchResults
    """

    return (
        await asyncio_detailed(
            client=client,
            q=q,
            cursor=cursor,
            limit=limit,
        )
    ).parsed
