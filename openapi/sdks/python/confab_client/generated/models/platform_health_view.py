from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.health_check_view import HealthCheckView


T = TypeVar("T", bound="PlatformHealthView")


@_attrs_define
class PlatformHealthView:
    """This replica's health, as the readiness probe sees it, with its version and uptime.

    Attributes:
        checks (list[HealthCheckView]): Each check.
        database_backend (str): `sqlite` or `postgres`.
        ready (bool): Whether this replica takes traffic (`/readyz` answers 200).
        search_backend (str): `sql` (the database's full-text search) or `opensearch`.
        started_at (datetime.datetime): When this process started.
        status (str): `ready`, `degraded` (serving without search or Redis) or `unavailable`.
        uptime_secs (int): Seconds since then.
        version (str): The server's version.
        redis_ok (bool | None | Unset): Whether Redis answers; null when this installation runs without it (one
            replica).
        search_backlog (int | None | Unset): Changes waiting for OpenSearch; null with SQL search or when unknown.
    """

    checks: list[HealthCheckView]
    database_backend: str
    ready: bool
    search_backend: str
    started_at: datetime.datetime
    status: str
    uptime_secs: int
    version: str
    redis_ok: bool | None | Unset = UNSET
    search_backlog: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        checks = []
        for checks_item_data in self.checks:
            checks_item = checks_item_data.to_dict()
            checks.append(checks_item)

        database_backend = self.database_backend

        ready = self.ready

        search_backend = self.search_backend

        started_at = self.started_at.isoformat()

        status = self.status

        uptime_secs = self.uptime_secs

        version = self.version

        redis_ok: bool | None | Unset
        if isinstance(self.redis_ok, Unset):
            redis_ok = UNSET
        else:
            redis_ok = self.redis_ok

        search_backlog: int | None | Unset
        if isinstance(self.search_backlog, Unset):
            search_backlog = UNSET
        else:
            search_backlog = self.search_backlog

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "checks": checks,
                "database_backend": database_backend,
                "ready": ready,
                "search_backend": search_backend,
                "started_at": started_at,
                "status": status,
                "uptime_secs": uptime_secs,
                "version": version,
            }
        )
        if redis_ok is not UNSET:
            field_dict["redis_ok"] = redis_ok
        if search_backlog is not UNSET:
            field_dict["search_backlog"] = search_backlog

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.health_check_view import HealthCheckView

        d = dict(src_dict)
        checks = []
        _checks = d.pop("checks")
        for checks_item_data in _checks:
            checks_item = HealthCheckView.from_dict(checks_item_data)

            checks.append(checks_item)

        database_backend = d.pop("database_backend")

        ready = d.pop("ready")

        search_backend = d.pop("search_backend")

        started_at = datetime.datetime.fromisoformat(d.pop("started_at"))

        status = d.pop("status")

        uptime_secs = d.pop("uptime_secs")

        version = d.pop("version")

        def _parse_redis_ok(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        redis_ok = _parse_redis_ok(d.pop("redis_ok", UNSET))

        def _parse_search_backlog(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        search_backlog = _parse_search_backlog(d.pop("search_backlog", UNSET))

        platform_health_view = cls(
            checks=checks,
            database_backend=database_backend,
            ready=ready,
            search_backend=search_backend,
            started_at=started_at,
            status=status,
            uptime_secs=uptime_secs,
            version=version,
            redis_ok=redis_ok,
            search_backlog=search_backlog,
        )

        platform_health_view.additional_properties = d
        return platform_health_view

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
