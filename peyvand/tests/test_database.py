"""The PostgreSQL run really runs on PostgreSQL (DATABASE_URL is read before settings are imported)."""

import os

import pytest
from django.db import connection


def test_expected_database_vendor(db):
    expected = os.environ.get("PEYVAND_EXPECT_DB")
    if expected is None:
        pytest.skip("PEYVAND_EXPECT_DB not set")
    assert connection.vendor == expected
    if expected == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT extname FROM pg_extension")
            assert {"pg_trgm", "unaccent", "btree_gin"} <= {row[0] for row in cursor.fetchall()}
