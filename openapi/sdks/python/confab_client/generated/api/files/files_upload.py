from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.file import File
from ...types import UNSET, File, Response


def _get_kwargs(
    *,
    body: File,
    name: str,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    params: dict[str, Any] = {}

    params["name"] = name

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/files",
        "params": params,
    }

    _kwargs["content"] = body.payload
    headers["Content-Type"] = "application/octet-stream"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | File | None:
    if response.status_code == 201:
        response_201 = File.from_dict(response.json())

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
) -> Response[ErrorBody | File]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: File,
    name: str,
) -> Response[ErrorBody | File]:
    """Upload a file to attach to messages. The body is the file's bytes (any `Content-Type`);
    its type is sniffed from the content. Plain text, Markdown, CSV, JSON, source code, PDF,
    DOCX and PNG, JPEG, GIF or WebP images are taken; anything else gets 415
    `unsupported_file_type`. Larger than `max_file_bytes` (`GET /v1/files/usage`) gets 413
    `payload_too_large`; over the storage quota, 413 `storage_quota_exceeded`. A file that
    cannot be read safely (a decompression bomb, a malformed or encrypted PDF, an image larger
    than 8000 pixels a side) gets 422 `validation_failed` with `field` = `file`.

    Args:
        name (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | File]
    """

    kwargs = _get_kwargs(
        body=body,
        name=name,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: File,
    name: str,
) -> ErrorBody | File | None:
    """Upload a file to attach to messages. The body is the file's bytes (any `Content-Type`);
    its type is sniffed from the content. Plain text, Markdown, CSV, JSON, source code, PDF,
    DOCX and PNG, JPEG, GIF or WebP images are taken; anything else gets 415
    `unsupported_file_type`. Larger than `max_file_bytes` (`GET /v1/files/usage`) gets 413
    `payload_too_large`; over the storage quota, 413 `storage_quota_exceeded`. A file that
    cannot be read safely (a decompression bomb, a malformed or encrypted PDF, an image larger
    than 8000 pixels a side) gets 422 `validation_failed` with `field` = `file`.

    Args:
        name (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | File
    """

    return sync_detailed(
        client=client,
        body=body,
        name=name,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: File,
    name: str,
) -> Response[ErrorBody | File]:
    """Upload a file to attach to messages. The body is the file's bytes (any `Content-Type`);
    its type is sniffed from the content. Plain text, Markdown, CSV, JSON, source code, PDF,
    DOCX and PNG, JPEG, GIF or WebP images are taken; anything else gets 415
    `unsupported_file_type`. Larger than `max_file_bytes` (`GET /v1/files/usage`) gets 413
    `payload_too_large`; over the storage quota, 413 `storage_quota_exceeded`. A file that
    cannot be read safely (a decompression bomb, a malformed or encrypted PDF, an image larger
    than 8000 pixels a side) gets 422 `validation_failed` with `field` = `file`.

    Args:
        name (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | File]
    """

    kwargs = _get_kwargs(
        body=body,
        name=name,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: File,
    name: str,
) -> ErrorBody | File | None:
    """Upload a file to attach to messages. The body is the file's bytes (any `Content-Type`);
    its type is sniffed from the content. Plain text, Markdown, CSV, JSON, source code, PDF,
    DOCX and PNG, JPEG, GIF or WebP images are taken; anything else gets 415
    `unsupported_file_type`. Larger than `max_file_bytes` (`GET /v1/files/usage`) gets 413
    `payload_too_large`; over the storage quota, 413 `storage_quota_exceeded`. A file that
    cannot be read safely (a decompression bomb, a malformed or encrypted PDF, an image larger
    than 8000 pixels a side) gets 422 `validation_failed` with `field` = `file`.

    Args:
        name (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | File
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            name=name,
        )
    ).parsed
