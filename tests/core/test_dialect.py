"""The PostgreSQL dialect seam: SQLite-flavoured statements, translated once (store_postgres.translate)."""

from __future__ import annotations

import pytest

pytest.importorskip("psycopg", reason="psycopg (the PostgreSQL driver) is not installed")

from syndicate.errors import StoreError  # noqa: E402
from syndicate.store_postgres import translate  # noqa: E402


def test_placeholders_and_percent_signs() -> None:
    assert translate("SELECT 1 FROM t WHERE a = ? AND b LIKE 'x:%' AND c = '?'") == \
        "SELECT 1 FROM t WHERE a = %s AND b LIKE 'x:%%' AND c = '?'"
    assert translate("SELECT :a, ':b' FROM t", True) == "SELECT %(a)s, ':b' FROM t"


def test_insert_or_ignore_becomes_on_conflict_do_nothing() -> None:
    assert translate("INSERT OR IGNORE INTO t (a) VALUES (?)") == "INSERT INTO t (a) VALUES (%s) ON CONFLICT DO NOTHING"
    assert translate("INSERT OR IGNORE INTO t (a) SELECT a FROM u") == \
        "INSERT INTO t (a) SELECT a FROM u ON CONFLICT DO NOTHING"
    assert translate("INSERT OR IGNORE INTO t (a) VALUES (?) RETURNING a") == \
        "INSERT INTO t (a) VALUES (%s) ON CONFLICT DO NOTHING RETURNING a"


def test_is_with_a_parameter() -> None:
    assert translate("SELECT 1 WHERE a IS ? AND b IS NOT ? AND c IS NULL") == \
        "SELECT 1 WHERE a IS NOT DISTINCT FROM %s AND b IS DISTINCT FROM %s AND c IS NULL"


def test_ddl_types_and_rowid() -> None:
    sql = translate("CREATE TABLE t (a REAL NOT NULL, b INTEGER, c BLOB, PRIMARY KEY (a))")
    assert sql == "CREATE TABLE t (a DOUBLE PRECISION NOT NULL, b BIGINT, c BYTEA, PRIMARY KEY (a),\n    rowid BIGSERIAL\n)"
    assert translate("CREATE TABLE s (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)") == \
        "CREATE TABLE s (id BIGSERIAL PRIMARY KEY, v TEXT)"
    assert translate("ALTER TABLE t ADD COLUMN d REAL") == "ALTER TABLE t ADD COLUMN d DOUBLE PRECISION"
    assert translate("UPDATE t SET a = CAST(strftime('%s', 'now') AS REAL)") == \
        "UPDATE t SET a = CAST(EXTRACT(EPOCH FROM now()) AS DOUBLE PRECISION)"  # PostgreSQL's REAL is 4 bytes
    assert translate("SELECT IFNULL(a, 0) FROM t WHERE n = 'IFNULL(x'") == "SELECT COALESCE(a, 0) FROM t WHERE n = 'IFNULL(x'"


def test_unary_plus_index_hint_is_dropped_but_addition_stays() -> None:
    assert translate("SELECT 1 FROM s WHERE s.d = p.d AND +s.platform = p.platform AND x = +y.z") == \
        "SELECT 1 FROM s WHERE s.d = p.d AND s.platform = p.platform AND x = y.z"
    assert translate("SELECT a + b, a +b, p.sent_at + ? FROM t") == "SELECT a + b, a +b, p.sent_at + %s FROM t"


@pytest.mark.parametrize("sql", ["PRAGMA user_version", "SELECT name FROM sqlite_master",
                                 "INSERT OR REPLACE INTO t VALUES (1)"])
def test_sqlite_only_sql_is_refused_by_name(sql: str) -> None:
    with pytest.raises(StoreError, match="SQLite-only SQL has no PostgreSQL translation"):
        translate(sql)
