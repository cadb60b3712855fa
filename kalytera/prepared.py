"""A hot lookup compiled to SQL once per process instead of once per request.

For a small indexed lookup with joins, turning the queryset into SQL costs more CPU than
PostgreSQL spends answering it. ``PreparedLookup`` compiles the queryset once with
stand-in values, then runs the same SQL with each call's values and builds the objects
as the ORM does (the same converters, ``select_related`` population and annotations). The
lookups of the Machine API use it (``licensing.services``: the license locked by its key,
and the active machines of a license), the most frequent requests of the platform, and so
do those every signed-in page makes (its user, the policy change notices, the Terms gate)
and those of the license page (``licensing.access.license_for``, ``licensing.detail``). Its tests
(``tests/kalytera/test_prepared.py``) compare a prepared lookup of allauth's email
addresses with the plain ORM query field by field, the ``select_related`` user included,
and check that values stay parameters, so a Django upgrade that changes the internals
used here fails loudly.
"""

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.fetch_modes import FetchMode
from django.db.models.query import get_related_populators
from django.db.models.sql.compiler import SQLCompiler


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
    annotations: dict[str, int]  # annotation name -> position in the row


def _stand_in(name: str, kind: type, n: int) -> object:
    if kind is str:
        return f"\x00stand-in:{name}"
    if kind is int:
        return -(2**31) + n
    if kind is datetime:
        return datetime(1, 1, 1 + n, 0, 0, 0, 1 + n, tzinfo=UTC)
    if kind is uuid.UUID:
        return uuid.UUID(int=(2**128 - 1) - n)  # no version that ``uuid4`` makes
    raise TypeError(f"A prepared lookup takes str, int, datetime or UUID values, not {kind.__name__}.")


class PreparedLookup[M: Model]:
    """``build(**stand_ins)`` returns a queryset of ``model``; ``first`` and ``all`` run it with real values.

    ``kinds`` names the values and their types (``str``, ``int``, an aware ``datetime`` or
    ``uuid.UUID``), e.g. ``key_hash=str``; a value may appear in the SQL more than once (in
    subqueries). Annotations are set on the objects as the ORM sets them.
    Values go to the database as they are, so they must already be in stored form (hashes,
    ids). Compiled SQL is kept per thread and database alias, because a compiler holds its
    connection. A lookup that locks rows (``select_for_update``) must run in a transaction,
    as with the ORM; only the first compilation can check that.
    """

    def __init__(self, model: type[M], build: Callable[..., QuerySet[M]], **kinds: type) -> None:
        self.model = model
        self.build = build
        # Stand-ins are values no real call passes: NUL-prefixed text, large negative numbers,
        # moments in the first days of the year 1, UUIDs of no version.
        self.stand_ins = {name: _stand_in(name, kind, n) for n, (name, kind) in enumerate(kinds.items())}
        self._local = threading.local()

    def first(self, **values) -> M | None:
        compiled, rows = self._run(values, many=False)
        return self._build(compiled, rows[0]) if rows else None

    def all(self, **values) -> list[M]:
        compiled, rows = self._run(values, many=True)
        return [self._build(compiled, row) for row in rows]

    def _run(self, values: dict, *, many: bool) -> tuple[_Compiled[M], list]:
        compiled = self._compiled()
        params = list(compiled.params)
        for position, name in compiled.slots:
            params[position] = values[name]
        with compiled.compiler.connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall() if many else [row for row in [cursor.fetchone()] if row is not None]
        if compiled.converters and rows:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        return compiled, rows

    def _build(self, compiled: _Compiled[M], row) -> M:
        obj = compiled.model.from_db(
            compiled.compiler.using,
            compiled.init_list,
            row[compiled.start : compiled.end],
            fetch_mode=compiled.fetch_mode,
        )
        for populator in compiled.populators:
            populator.populate(row, obj)
        for name, position in compiled.annotations.items():
            setattr(obj, name, row[position])
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
        slots = [
            (position, name)
            for position, param in enumerate(params)
            for name, stand_in in self.stand_ins.items()
            if type(param) is type(stand_in) and param == stand_in
        ]
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
