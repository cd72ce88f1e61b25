from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.plugin_call_list import PluginCallList
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    plugin: str | Unset = UNSET,
    failed_only: bool | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["plugin"] = plugin

    params["failed_only"] = failed_only

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/tenant/plugins/runs",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | PluginCallList | None:
    if response.status_code == 200:
        response_200 = PluginCallList.from_dict(response.json())

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
) -> Response[ErrorBody | PluginCallList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    plugin: str | Unset = UNSET,
    failed_only: bool | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> Response[ErrorBody | PluginCallList]:
    """The tenant's most recent plugin calls, newest first (tenant admins and auditors): of one
    plugin, or only failures and rejections, as asked. Looks through the latest 5,000 answers
    that ran plugins.

    Args:
        plugin (str | Unset):
        failed_only (bool | Unset):
        limit (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | PluginCallList]
    """

    kwargs = _get_kwargs(
        plugin=plugin,
        failed_only=failed_only,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    plugin: str | Unset = UNSET,
    failed_only: bool | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> ErrorBody | PluginCallList | None:
    """The tenant's most recent plugin calls, newest first (tenant admins and auditors): of one
    plugin, or only failures and rejections, as asked. Looks through the latest 5,000 answers
    that ran plugins.

    Args:
        plugin (str | Unset):
        failed_only (bool | Unset):
        limit (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | PluginCallList
    """

    return sync_detailed(
        client=client,
        plugin=plugin,
        failed_only=failed_only,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    plugin: str | Unset = UNSET,
    failed_only: bool | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> Response[ErrorBody | PluginCallList]:
    """The tenant's most recent plugin calls, newest first (tenant admins and auditors): of one
    plugin, or only failures and rejections, as asked. Looks through the latest 5,000 answers
    that ran plugins.

    Args:
        plugin (str | Unset):
        failed_only (bool | Unset):
        limit (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | PluginCallList]
    """

    kwargs = _get_kwargs(
        plugin=plugin,
        failed_only=failed_only,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    plugin: str | Unset = UNSET,
    failed_only: bool | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> ErrorBody | PluginCallList | None:
    """The tenant's most recent plugin calls, newest first (tenant admins and auditors): of one
    plugin, or only failures and rejections, as asked. Looks through the latest 5,000 answers
    that ran plugins.

    Args:
        plugin (str | Unset):
        failed_only (bool | Unset):
        limit (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | PluginCallList
    """

    return (
        await asyncio_detailed(
            client=client,
            plugin=plugin,
            failed_only=failed_only,
            limit=limit,
        )
    ).parsed
