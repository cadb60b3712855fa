"""A hot lookup compiled to SQL once per process instead of once per request.

For a small indexed lookup with joins, turning the queryset into SQL costs more CPU than
PostgreSQL spends answering it. ``PreparedLookup`` compiles the queryset once with
stand-in values, then runs the same SQL with each call's values and builds the objects
as the ORM does (the same converters and ``select_related`` population). Only the
license check-in, the most frequent request of the platform, needs it; its test compares
every field with the plain ORM query, so a Django upgrade that changes the internals used
here fails loudly.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators


@dataclass
class _Compiled:
    sql: str
    params: list
    slots: list[tuple[int, str]]  # (position in params, name of the value)
    compiler: object
    model: type[Model]
    start: int
    end: int
    init_list: list[str]
    populators: list
    fetch_mode: object
    converters: dict


class PreparedLookup:
    """``build(**stand_ins)`` returns a queryset of ``model``; ``first(**values)`` runs it with real values.

    The values must be strings as stored (hashes, codes): they are passed to the database
    as they are. Compiled SQL is kept per thread and database alias, because a compiler
    holds its connection.
    """

    def __init__(self, model: type[Model], build: Callable[..., QuerySet], *names: str) -> None:
        self.model = model
        self.build = build
        self.names = names
        self._local = threading.local()

    def first(self, **values: str) -> Model | None:
        compiled = self._compiled()
        params = list(compiled.params)
        for position, name in compiled.slots:
            params[position] = values[name]
        with compiled.compiler.connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if compiled.converters:
            row = next(iter(compiled.compiler.apply_converters([row], compiled.converters)))
        obj = compiled.model.from_db(
            compiled.compiler.using,
            compiled.init_list,
            row[compiled.start : compiled.end],
            fetch_mode=compiled.fetch_mode,
        )
        for populator in compiled.populators:
            populator.populate(row, obj)
        return obj

    def _compiled(self) -> _Compiled:
        using = router.db_for_read(self.model)
        cache = self._local.__dict__.setdefault("compiled", {})
        compiled = cache.get(using)
        if compiled is None or compiled.compiler.connection is not connections[using]:
            queryset = self.build(**{name: f"\x00stand-in:{name}" for name in self.names}).using(using)
            compiled = cache[using] = self._compile(queryset)
        return compiled

    def _compile(self, queryset: QuerySet) -> _Compiled:
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()  # also sets up select and klass_info, used below
        stand_ins = {f"\x00stand-in:{name}": name for name in self.names}
        slots = [(n, stand_ins[p]) for n, p in enumerate(params) if isinstance(p, str) and p in stand_ins]
        if sorted(name for _, name in slots) != sorted(self.names):
            raise ValueError("Every value of a prepared lookup must appear once as a query parameter.")
        info = compiler.klass_info
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        return _Compiled(
            sql=sql,
            params=list(params),
            slots=slots,
            compiler=compiler,
            model=info["model"],
            start=start,
            end=end,
            init_list=[column[0].target.attname for column in compiler.select[start:end]],
            populators=get_related_populators(info, compiler.select, queryset.db, queryset._fetch_mode),
            fetch_mode=queryset._fetch_mode,
            converters=compiler.get_converters(
                [column[0] for column in compiler.select[: compiler.col_count]]
            ),
        )
