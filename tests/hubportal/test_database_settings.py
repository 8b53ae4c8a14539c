"""The database settings a web workload needs, as every new connection sees them."""

import psycopg2
import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="JIT is PostgreSQL's")
def test_a_new_connection_to_the_database_has_jit_off():
    # A new session, as a web process or a worker behind a pooler opens one: the setting is on the
    # database (migration hubportal 0024), not on the connection Django made.
    params = connection.get_connection_params()
    fresh = psycopg2.connect(**{k: v for k, v in params.items() if k in
                                ("dbname", "user", "password", "host", "port")})
    try:
        with fresh.cursor() as cursor:
            cursor.execute("SHOW jit")
            assert cursor.fetchone()[0] == "off"
    finally:
        fresh.close()
