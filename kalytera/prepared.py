"""A hot lookup compiled to SQL once per process instead of once per request.

For a small indexed lookup with joins, turning the queryset into SQL costs more CPU than
PostgreSQL spends answering it. ``PreparedLookup`` compiles the queryset once with
stand-in values, then runs the same SQL with each call's values and builds the objects
as the ORM does (the same converters and ``select_related`` population). The lookups of
the Machine API use it (``licensing.services``: the license locked by its key, and the
active machines of a license), the most frequent requests of the platform, and so do the
lookups every signed-in page makes (the policy change notices, the Terms gate), the license
page's (``licensing.access.license_for``, ``licensing.detail``) and the first page of the
license list, the account home and the integrator overview. ``PreparedRows``
does the same for rows of values (a ``union`` too): what a person reaches
(``licensing.access.reach``), read by every signed-in license page. Its tests
(``tests/kalytera/test_prepared.py``) compare a prepared lookup of allauth's email
addresses with the plain ORM query field by field, the ``select_related`` user included,
and check that values stay parameters, so a Django upgrade that changes the internals
used here fails loudly.

Only PostgreSQL, the production database, runs the compiled SQL; on SQLite, the development
default, every call builds its queryset through the ORM (same rows, nothing saved), since
SQLite's driver turns some values (moments, lists) into other types than the stand-ins.
"""

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.fetch_modes import FetchMode
from django.db.models.query import get_related_populators
from django.db.models.sql.compiler import SQLCompiler

type _StandIn = str | int | datetime | uuid.UUID | list[int]


def _stand_in(name: str, kind: type, n: int) -> _StandIn:
    # Stand-ins are values no real call passes: NUL-prefixed text, large negative numbers,
    # instants in the first year of the calendar, UUIDs of no version, a list of a large
    # negative number.
    if kind is list:
        return [-(2**31) + n]
    if kind is str:
        return f"\x00stand-in:{name}"
    if kind is datetime:
        return datetime(1, 1, 1, tzinfo=UTC) + timedelta(microseconds=n + 1)
    if kind is int:
        return -(2**31) + n
    if kind is uuid.UUID:
        return uuid.UUID(int=(2**128 - 1) - n)  # no version that ``uuid4`` makes
    raise TypeError(f"A prepared lookup takes str, int, datetime, UUID or list values, not {kind.__name__}.")


def _stand_ins(kinds: dict[str, type]) -> dict[str, _StandIn]:
    return {name: _stand_in(name, kind, n) for n, (name, kind) in enumerate(kinds.items())}


def _compiles(model: type[Model]) -> bool:
    """Compiled once on PostgreSQL; on SQLite (development) the ORM builds the query on each call."""
    return connections[router.db_for_read(model)].vendor == "postgresql"


def _slots(params, stand_ins: dict[str, _StandIn]) -> list[tuple[int, str]]:
    """Where each stand-in appears among the query's parameters: (position, name of the value)."""
    return [
        (position, name)
        for position, param in enumerate(params)
        for name, stand_in in stand_ins.items()
        if type(param) is type(stand_in) and param == stand_in
    ]


@dataclass
class _Compiled[M: Model]:
    sql: str
    params: list
    slots: list[tuple[int, str]]  # (position in params, name of the value)
    compiler: SQLCompiler
    model: type[M]
    start: int
    end: int
    init_list: list[str]
    populators: list
    fetch_mode: FetchMode
    converters: dict
    annotations: dict[str, int]  # name -> position in the row


class PreparedLookup[M: Model]:
    """``build(**stand_ins)`` returns a queryset of ``model``; ``first`` and ``all`` run it with real values.

    ``kinds`` names the values and their types (``str``, ``int``, ``datetime``, ``uuid.UUID``,
    or ``list`` of ids for an array parameter such as ``licensing.access``'s ``= ANY(%s)``), e.g.
    ``key_hash=str``; a value may appear several times. Values go to the database as they
    are, so they must already be in stored form (hashes, ids). Annotations are set on the
    objects as the ORM sets them. Compiled SQL is kept per thread and database alias,
    because a compiler holds its connection. A lookup that locks rows (``select_for_update``)
    must run in a transaction, as with the ORM; only the first compilation can check that.
    """

    def __init__(self, model: type[M], build: Callable[..., QuerySet[M]], **kinds: type) -> None:
        self.model = model
        self.build = build
        self.stand_ins = _stand_ins(kinds)
        self._local = threading.local()

    def first(self, **values) -> M | None:
        if not _compiles(self.model):
            return next(iter(self.build(**values)), None)
        compiled, rows = self._run(values, many=False)
        return self._build(compiled, rows[0]) if rows else None

    def all(self, **values) -> list[M]:
        if not _compiles(self.model):
            return list(self.build(**values))
        compiled, rows = self._run(values, many=True)
        return [self._build(compiled, row) for row in rows]

    def _run(self, values: dict, *, many: bool) -> tuple[_Compiled[M], list]:
        compiled = self._compiled()
        return compiled, _execute(compiled, values, many=many)

    def _build(self, compiled: _Compiled[M], row) -> M:
        obj = compiled.model.from_db(
            compiled.compiler.using,
            compiled.init_list,
            row[compiled.start : compiled.end],
            fetch_mode=compiled.fetch_mode,
        )
        for name, position in compiled.annotations.items():
            setattr(obj, name, row[position])
        for populator in compiled.populators:
            populator.populate(row, obj)
        return obj

    def _compiled(self) -> _Compiled[M]:
        using = router.db_for_read(self.model)
        cache = self._local.__dict__.setdefault("compiled", {})
        compiled = cache.get(using)
        if compiled is None or compiled.compiler.connection is not connections[using]:
            compiled = cache[using] = self._compile(self.build(**self.stand_ins).using(using))
        return compiled

    def _compile(self, queryset: QuerySet[M]) -> _Compiled[M]:
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()  # also sets up select and klass_info, used below
        slots = _slots(params, self.stand_ins)
        if {name for _, name in slots} != set(self.stand_ins):
            raise ValueError("Every value of a prepared lookup must appear as a query parameter.")
        info = compiler.klass_info
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        fetch_mode: FetchMode = queryset._fetch_mode  # type: ignore[attr-defined]  # private: no stub
        return _Compiled(
            sql=sql,
            params=list(params),
            slots=slots,
            compiler=compiler,
            model=info["model"],
            start=start,
            end=end,
            init_list=[column[0].target.attname for column in compiler.select[start:end]],
            populators=get_related_populators(info, compiler.select, queryset.db, fetch_mode),
            fetch_mode=fetch_mode,
            converters=compiler.get_converters(
                [column[0] for column in compiler.select[: compiler.col_count]]
            ),
            annotations=dict(compiler.annotation_col_map),
        )


@dataclass
class _CompiledRows:
    sql: str
    params: list
    slots: list[tuple[int, str]]
    compiler: SQLCompiler
    converters: dict


class PreparedRows:
    """``build(**stand_ins)`` returns a ``values_list`` queryset (a ``union`` of several too); ``all``
    runs its SQL with each call's values and returns the rows as tuples, converted as the ORM does.

    As ``PreparedLookup`` (``kinds``, stored form, per thread and database alias).
    """

    def __init__(self, model: type[Model], build: Callable[..., QuerySet], **kinds: type) -> None:
        self.model = model
        self.build = build
        self.stand_ins = _stand_ins(kinds)
        self._local = threading.local()

    def all(self, **values) -> list[tuple]:
        if not _compiles(self.model):
            return [tuple(row) for row in self.build(**values)]
        return [tuple(row) for row in _execute(self._compiled(), values, many=True)]

    def _compiled(self) -> _CompiledRows:
        using = router.db_for_read(self.model)
        cache = self._local.__dict__.setdefault("compiled", {})
        compiled = cache.get(using)
        if compiled is None or compiled.compiler.connection is not connections[using]:
            queryset = self.build(**self.stand_ins).using(using)
            compiler = queryset.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            slots = _slots(params, self.stand_ins)
            if {name for _, name in slots} != set(self.stand_ins):
                raise ValueError("Every value of prepared rows must appear as a query parameter.")
            columns = [column[0] for column in compiler.select[: compiler.col_count]]
            compiled = cache[using] = _CompiledRows(
                sql, list(params), slots, compiler, compiler.get_converters(columns)
            )
        return compiled


def _execute(compiled: _Compiled | _CompiledRows, values: dict, *, many: bool) -> list:
    """Run compiled SQL with each value in its stand-in's places; the rows converted as the ORM does."""
    params = list(compiled.params)
    for position, name in compiled.slots:
        params[position] = values[name]
    with compiled.compiler.connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        rows = cursor.fetchall() if many else [row for row in [cursor.fetchone()] if row is not None]
    if compiled.converters and rows:
        rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
    return rows
