"""The store on both backends: schema version at open, db upgrade, append-only records."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from roboadvisor.book import schema
from roboadvisor.book import store as book_store
from roboadvisor.errors import BookError, BookSchemaError
from tests.book.helpers import EXAMPLES, record_count, run


def test_a_fresh_book_is_created_at_the_head_schema(store) -> None:
    assert book_store.schema_version(store) == schema.HEAD
    with store.transaction() as conn:
        names = set(conn.execute(text("SELECT kind FROM records")).scalars())
    assert names == set()


def test_an_older_book_is_refused_until_db_upgrade(book_url: str) -> None:
    book_store.create_at(book_url, "0001")
    result = run(book_url, "client", "list", code=2)
    assert "0001" in result.stderr and schema.HEAD in result.stderr and "db upgrade" in \
        result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    upgraded = run(book_url, "db", "upgrade", "--json")
    assert (upgraded["before"], upgraded["after"]) == ("0001", schema.HEAD)
    run(book_url, "client", "add", "c1")
    assert [c["client_id"] for c in run(book_url, "client", "list", "--json")] == ["c1"]


def test_a_newer_book_is_refused_naming_both_versions(store) -> None:
    with store.transaction() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(BookSchemaError) as caught:
        book_store.open_store(store.url)
    assert "0099" in str(caught.value) and schema.HEAD in str(caught.value)
    result = run(store.url, "db", "upgrade", code=2)
    assert "0099" in result.stderr and schema.HEAD in result.stderr


def test_an_unreachable_url_names_it_without_the_password() -> None:
    url = "postgresql+psycopg://advisor:s3cret-pw@127.0.0.1:9/book"
    with pytest.raises(BookError) as caught:
        book_store.open_store(url)
    message = str(caught.value)
    assert "s3cret-pw" not in message and "advisor:***@127.0.0.1:9/book" in message
    result = run(url, "client", "list", code=2)
    assert "s3cret-pw" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


def _two_records(url: str) -> None:
    run(url, "client", "add", "c1")
    run(url, "client", "assess", "c1", "--answers", str(EXAMPLES / "tier3_balanced.yaml"))


@pytest.mark.parametrize("statement", ["UPDATE records SET kind = 'x'",
                                       "DELETE FROM records"])
def test_the_database_refuses_update_and_delete_of_records(store, statement: str) -> None:
    _two_records(store.url)
    from sqlalchemy.exc import DBAPIError

    with pytest.raises((DBAPIError, BookError), match="append-only"), \
            store.transaction() as conn:
        conn.execute(text(statement))
    assert record_count(store.url) == 2


def test_a_record_altered_behind_the_triggers_back_is_found_by_verify(store) -> None:
    _two_records(store.url)
    with store.transaction() as conn:
        if store.backend == "postgresql":
            conn.execute(text("ALTER TABLE records DISABLE TRIGGER records_append_only"))
        else:
            conn.execute(text("DROP TRIGGER records_no_update"))
        conn.execute(text("UPDATE records SET body = replace(body, :old, :new) WHERE seq = 2"),
                     {"old": '"tier":3', "new": '"tier":5'})
    result = run(store.url, "records", "verify", code=1)
    assert "record #2" in result.stderr
    found = run(store.url, "records", "verify", "--json", code=1)
    assert found.exit_code == 1
