"""Statements compiled once, for the hot reads and writes of ``self.sql``/``self.asql``.

A :class:`Statement` wraps a SQLAlchemy Core statement (``select``, ``insert``,
``update``, ``delete``) with named ``bindparam``\\ s. It is compiled the first time it
runs on a database and the SQL text, parameter order, bind and result processors are
kept, so a request pays for none of SQLAlchemy's per-execution work: the parameters go
to the driver as they are (through psycopg's prepared statements on PostgreSQL), and
the rows come back as tuples or as ``into(**columns)`` objects. docs/models.md shows it
beside the ORM.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Generic, TypeVar, overload

from sqlalchemy import Executable, Select
from sqlalchemy.engine import Dialect, processors
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.sql.dml import UpdateBase

__all__ = ["CompiledStatement", "Statement", "plain_select"]

T = TypeVar("T")

#: What a SELECT may do that lasts until the transaction ends, so that such a SELECT must
#: run inside the request's transaction: a row lock (PostgreSQL, MySQL/MariaDB), or one
#: of PostgreSQL's functions that act on the transaction (a setting for its rest, as for
#: row-level security, an advisory lock, a notification sent as it commits, a
#: sequence's value set, the transaction's id).
_TRANSACTIONAL = re.compile(
    r"\bFOR\s+(NO\s+KEY\s+UPDATE|KEY\s+SHARE|UPDATE|SHARE)\b|\bLOCK\s+IN\s+SHARE\s+MODE\b"
    r"|\b(set_config|pg_(try_)?advisory_xact_lock(_shared)?|pg_notify|setval|txid_current"
    r"|pg_current_xact_id)\s*\(",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=4096)
def plain_select(sql: str) -> bool:
    """Whether ``sql`` is a SELECT that may run outside a transaction: not a ``WITH``
    (which may write), and nothing in it lasts until the transaction ends (see above).
    PERF: cached, SQLAlchemy's compiled SQL is the same string each time."""
    return sql.lstrip()[:6].upper() == "SELECT" and _TRANSACTIONAL.search(sql) is None


class CompiledStatement:
    """A statement as one database's driver takes it, and how to fill it and read it."""

    __slots__ = (
        "_escaped",
        "_plain",
        "columns",
        "computed",
        "defaults",
        "names",
        "processors",
        "reads",
        "results",
        "returns_rows",
        "sql",
    )

    def __init__(self, statement: Any, dialect: Dialect, writes: bool) -> None:
        compiled: Any = statement.compile(dialect=dialect)
        #: name -> BindParameter, for the parameters the SQL holds (``compiled.binds``
        #: also lists some under a second key)
        binds = {name: bind for bind, name in compiled.bind_names.items()}
        if any(getattr(bind, "expanding", False) for bind in binds.values()):
            raise TypeError(
                "a Statement cannot hold an expanding IN (its SQL changes with the list): "
                "on PostgreSQL compare with = any(bindparam(...)) and pass a list"
            )
        self.sql: str = compiled.string
        escaped: Mapping[str, str] = compiled.escaped_bind_names or {}
        #: positional drivers: the parameters' names in order; None: named (a dict)
        self.names: tuple[str, ...] | None = (
            tuple(compiled.positiontup) if compiled.positional else None
        )
        #: the values written into the statement (``where(World.id == 5)``) and the
        #: columns' fixed Python-side defaults
        self.defaults: dict[str, Any] = {}
        #: the columns' Python-side defaults that are functions, called for each run that
        #: gives no value (SQLAlchemy wraps them to take an execution context: None here)
        self.computed: dict[str, Callable[[Any], Any]] = {}
        self._collect_defaults(compiled, binds)
        #: bind processors by parameter name (a TypeDecorator's ``process_bind_param``)
        self.processors: dict[str, Callable[[Any], Any]] = {}
        for name, bind in binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors[name] = processor
        if escaped:  # names the driver cannot take as they are (``%(a b)s``)
            self.names = self.names and tuple(escaped.get(n, n) for n in self.names)
        self._escaped = escaped
        #: nothing to fill in or convert: the values given are the parameters
        self._plain = not (self.defaults or self.computed or self.processors or escaped)
        columns = list(getattr(statement, "exported_columns", ()) or ())
        #: whether it returns rows: known for Core's SELECT, INSERT, UPDATE and DELETE;
        #: None for ``text()``, where the driver tells
        self.returns_rows: bool | None = (
            bool(columns) if isinstance(statement, Select | UpdateBase) else None
        )
        self.columns: tuple[str, ...] = tuple(str(column.key) for column in columns)
        #: result processors by column index (``UTCDateTime`` gives back aware datetimes)
        self.results: tuple[tuple[int, Callable[[Any], Any]], ...] = tuple(
            (index, processor)
            for index, column in enumerate(columns)
            if (processor := _result_processor(column.type, dialect)) is not None
        )
        #: whether this may run outside a transaction: a plain SELECT that locks nothing
        self.reads: bool = not writes and isinstance(statement, Select) and plain_select(self.sql)

    def _collect_defaults(self, compiled: Any, binds: Mapping[str, Any]) -> None:
        for name, bind in binds.items():
            if not bind.required and bind.callable is None and bind.value is not None:
                self.defaults[name] = bind.value
        prefetch = [*compiled.insert_prefetch, *compiled.update_prefetch]
        for column in prefetch:
            default = column.onupdate if column in compiled.update_prefetch else column.default
            if default is None:
                continue
            if default.is_scalar:
                self.defaults[column.key] = default.arg
            elif default.is_callable:
                self.computed[column.key] = default.arg
            else:
                raise TypeError(
                    f"column {column.key!r} has a default a Statement cannot compute "
                    "(a SQL expression or sequence): set it in the statement"
                )

    def parameters(self, given: Mapping[str, Any]) -> Any:
        """The driver's parameters for the values ``given`` by name."""
        names = self.names
        if self._plain and names is not None:  # PERF: the common case, in one pass
            try:
                return tuple([given[name] for name in names])
            except KeyError as exc:
                raise TypeError(f"the statement needs a value for {exc.args[0]!r}") from None
        values = {**self.defaults, **given}
        for name, function in self.computed.items():
            if name not in values:
                values[name] = function(None)
        processors = self.processors
        if processors:
            for name, processor in processors.items():
                if name in values:
                    values[name] = processor(values[name])
        try:
            if names is not None:
                return tuple(values[name] for name in names)
            escaped = self._escaped
            if escaped:
                values = {escaped.get(name, name): value for name, value in values.items()}
            return values
        except KeyError as exc:
            raise TypeError(f"the statement needs a value for {exc.args[0]!r}") from None

    def rows(self, raw: Sequence[Any]) -> list[tuple[Any, ...]]:
        """The driver's rows as tuples, each value through its column's result processor."""
        results = self.results
        if not results:
            return [tuple(row) for row in raw]
        converted = []
        for row in raw:
            values = list(row)
            for index, processor in results:
                values[index] = processor(values[index])
            converted.append(tuple(values))
        return converted


class Statement(Generic[T]):
    """A Core statement compiled once per database, run by ``self.sql``/``self.asql``.

    ``into`` builds each row from its columns by name (a dataclass, a pydantic model,
    ``dict``); without it rows are tuples. A SELECT that locks nothing may run before
    the request's transaction begins (docs/models.md); ``writes=True`` keeps a SELECT
    that calls a function which writes inside it.
    """

    __slots__ = ("_compiled", "_positional", "into", "statement", "writes")

    @overload
    def __init__(
        self: Statement[tuple[Any, ...]],
        statement: Executable,
        *,
        into: None = None,
        writes: bool = False,
    ) -> None: ...

    @overload
    def __init__(
        self, statement: Executable, *, into: Callable[..., T], writes: bool = False
    ) -> None: ...

    def __init__(
        self, statement: Executable, *, into: Callable[..., T] | None = None, writes: bool = False
    ) -> None:
        if not isinstance(statement, Executable) or not hasattr(statement, "compile"):
            raise TypeError(f"Statement takes a SQLAlchemy Core statement, not {statement!r}")
        if into is not None and not getattr(statement, "exported_columns", None):
            raise TypeError("into= needs a statement that returns rows (a SELECT, RETURNING)")
        self.statement = statement
        self.into = into
        self.writes = writes
        self._compiled: dict[type[Dialect], CompiledStatement] = {}
        #: whether ``into`` takes the columns in order, positionally (known on first build)
        self._positional: bool | None = None

    def compiled(self, dialect: Dialect) -> CompiledStatement:
        """The statement compiled for ``dialect`` (once per dialect class)."""
        key = type(dialect)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = CompiledStatement(self.statement, dialect, self.writes)
        return compiled

    def build(self, compiled: CompiledStatement, raw: Sequence[Any]) -> list[T]:
        """The driver's rows as this statement gives them: tuples, or ``into`` objects."""
        into = self.into
        if into is None:
            return compiled.rows(raw)  # type: ignore[return-value]
        positional = self._positional
        if positional is None:
            positional = self._positional = _takes_in_order(into, compiled.columns)
        rows = compiled.rows(raw) if compiled.results else raw
        if positional:  # PERF: a sixth of the cost of keywords (13 dataclass rows: 4 µs, not 32)
            return [into(*row) for row in rows]
        columns = compiled.columns
        return [into(**dict(zip(columns, row, strict=True))) for row in rows]

    def __repr__(self) -> str:
        return f"<Statement {str(self.statement)!r}>"


def _takes_in_order(into: Callable[..., Any], columns: Sequence[str]) -> bool:
    """Whether ``into`` is a dataclass or named tuple whose arguments are ``columns``, in
    order, so a row can be passed positionally."""
    if isinstance(into, type) and dataclasses.is_dataclass(into):
        arguments = [f for f in dataclasses.fields(into) if f.init]
        return not any(f.kw_only for f in arguments) and [f.name for f in arguments] == list(
            columns
        )
    fields = getattr(into, "_fields", None)  # a named tuple
    return isinstance(into, type) and issubclass(into, tuple) and fields == tuple(columns)


def _result_processor(column_type: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """How ``dialect``'s driver values of ``column_type`` become Python values (SQLite's
    text datetimes, a TypeDecorator's ``process_result_value``)."""
    impl = column_type.dialect_impl(dialect)
    try:
        processor: Callable[[Any], Any] | None = impl.result_processor(dialect, None)
    except (TypeError, InvalidRequestError):
        # PostgreSQL's numeric processors choose by the type the driver reports for the
        # column, which is known only once it has run: convert whatever comes back
        if not hasattr(impl, "asdecimal"):
            raise
        return _numeric_processor(impl)
    return processor


def _numeric_processor(impl: Any) -> Callable[[Any], Any]:
    """A ``Numeric``/``Float`` column's values as the type asks: ``Decimal`` when it is
    ``asdecimal``, else ``float``, whatever the database's own type of the column."""
    if impl.asdecimal:
        scale = getattr(impl, "_effective_decimal_return_scale", None) or impl.scale or 10
        to_decimal = processors.to_decimal_processor_factory(Decimal, scale)

        def as_decimal(value: Any) -> Any:
            return value if value is None or type(value) is Decimal else to_decimal(value)

        return as_decimal

    def as_float(value: Any) -> Any:
        return value if value is None or type(value) is float else float(value)

    return as_float
