"""Hot-path statements: built from the product's own SQLAlchemy expressions once, run many times.

Building and compiling a SQLAlchemy statement costs more Python time than running it when the
statement is small and the request does little else (creating an incident: ≈ 10 ms of Python per
request through the ORM, bench/create.py). :func:`execute` compiles a Core statement once per
process and key, then runs the SQL text on the session's own psycopg connection — inside the
session's transaction, so commit, rollback and the test harness behave as for any other query —
and psycopg prepares it server-side after a few executions. The statements keep their single
source: they are made by the same functions (scope conditions, location rule) as every other query.

Limits: every value that changes between executions must be a named ``bindparam`` (values written
into the expression while building are frozen into the cached SQL); no expanding ``IN`` lists; no
Python-side column defaults or type processing (pass values as psycopg adapts them: str, int,
float, aware datetime, JSON as text with a ``CAST``).
"""
from __future__ import annotations

from collections.abc import Callable, Hashable

from psycopg import RawCursor
from psycopg.pq import TransactionStatus
from psycopg.rows import namedtuple_row
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Executable

from ..extensions import db

_compiled: dict[Hashable, tuple[str, tuple[str, ...], dict]] = {}


def execute(key: Hashable, build: Callable[[], Executable], params: dict, *, alone: bool = False) -> list:
    """Run the statement ``build()`` — compiled for PostgreSQL on first use of ``key`` and cached
    for the life of the process — with ``params`` (bind name → value) on the current session's
    connection and transaction. The SQL text is compiled with PostgreSQL's own ``$n`` placeholders
    and run by a psycopg ``RawCursor`` (no placeholder parsing per execution, which psycopg does not
    cache for statements over 4 kB); psycopg prepares it server-side from its fifth execution on a
    connection, and PostgreSQL then keeps its generic plan when that is estimated as cheap as the
    custom ones. So write statements whose generic plan is good: hide from the planner values whose
    estimates would mislead it (a sub-select) and fence where the order of the joins matters
    (``OFFSET 0``). Returns all rows as named tuples (fields named by the statement's column
    labels). ``alone``: the statement is the whole of its transaction — when the session has no
    transaction open it runs as its own transaction on a connection taken from the pool and
    returned at once (autocommit: no BEGIN and COMMIT round trips, and no session transaction to
    set up and end — ≈ 14 % of a worker's Python samples in ``POST /api/v1/incidents``; paired
    runs of bench/create.py: ≈ 6 % less worker CPU per request; the caller's commit finds nothing
    to do); when nothing is pending on the session's connection, in
    autocommit on it; else inside the open transaction (a savepoint in tests). Raises KeyError
    for a bind parameter without value, ValueError for a statement that cannot be compiled once
    (an expanding IN list)."""
    entry = _compiled.get(key)
    if entry is None:
        dialect = PGDialect_psycopg(paramstyle="numeric_dollar")
        dialect.server_version_info = db.engine.dialect.server_version_info
        compiled = build().compile(dialect=dialect)
        if "POSTCOMPILE" in str(compiled):  # an expanding IN list is filled in per execution
            raise ValueError(f"{key!r}: expanding IN lists cannot be compiled once; use a list of literal()")
        entry = _compiled[key] = (str(compiled), tuple(compiled.positiontup),
                                  {k: v for k, v in compiled.params.items() if v is not None})
    sql, names, fixed = entry
    values = [params[name] if name in params else fixed[name] for name in names]
    session = db.session()
    if alone and not session.in_transaction() and isinstance(session.get_bind(), Engine):
        pooled = db.engine.raw_connection()  # checked out as any other (extensions.ping_when_idle)
        try:
            return _run_autocommit(pooled.driver_connection, sql, values)
        finally:
            pooled.close()  # back to the pool
    connection = session.connection().connection.driver_connection
    if alone and connection.info.transaction_status == TransactionStatus.IDLE:
        return _run_autocommit(connection, sql, values)
    return RawCursor(connection, row_factory=namedtuple_row).execute(sql, values).fetchall()


def _run_autocommit(connection, sql: str, values: list) -> list:
    connection.autocommit = True
    try:
        return RawCursor(connection, row_factory=namedtuple_row).execute(sql, values).fetchall()
    finally:
        connection.autocommit = False
