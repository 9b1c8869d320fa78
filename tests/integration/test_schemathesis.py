"""schemathesis drives every operation of /api/v1/openapi.json in-process against the app on the
test PostGIS, as an administrator and as a grid worker, with the checks of issue 17: no server
error, every response matching its declared schema, status code and content type. Requests go
through the test client inside the rolled-back transaction of ``tx`` (nothing they write stays).
Bounded: a few examples per operation, no deadline (the suite's time budget, not a speed test)."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from gridapp.accounts import service as accounts
from gridapp.models import User

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
EXAMPLES = 4
BOUNDED = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                   phases=[Phase.explicit, Phase.generate],
                   suppress_health_check=list(HealthCheck))


def _schema():
    """The document as the app serves it, from an app that never touches its database (the
    document comes from the URL map and the schemas; the tests' app is built later, by fixtures;
    schemathesis' lazy fixture loader does not run on pytest 9). The WSGI app only makes
    schemathesis serialise cases for a Werkzeug client: requests go to the ``client`` fixture."""
    from gridapp import create_app
    from gridapp.api import contract

    app = create_app({"GRIDAPP_CONFIG": "test", "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg:///unused"})
    with app.test_request_context("/api/v1/openapi.json"):
        loaded = schemathesis.openapi.from_dict(contract.document())
    loaded.app = app
    return loaded


schema = _schema()


def _call(case, client, headers):
    """The operation's answer, after schemathesis' checks (raises, naming every failed check)."""
    # identity: the test client does not undo Flask-Compress's encodings
    response = client.open(**case.as_transport_kwargs(headers={**headers, "Accept-Encoding": "identity"}))
    case.validate_response(response, checks=CHECKS)
    return response


def _token_headers(tx, username: str) -> dict:
    """A bearer token issued directly (no password hashing per operation), in the test's transaction."""
    token, _expires = accounts.issue_token(tx.scalar(select(User).where(User.username == username)), 1)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(tx):
    return _token_headers(tx, "admin")


@pytest.fixture
def worker(tx):
    return _token_headers(tx, "worker")


@schema.parametrize()
@BOUNDED
def test_contract_as_admin(case, client, admin):
    response = _call(case, client, admin)
    # never a server error (a method the path lacks is answered 405)
    assert response.status_code < 500, (case.method, case.path, response.status_code)


@schema.parametrize()
@BOUNDED
def test_contract_as_grid_worker(case, client, worker):
    response = _call(case, client, worker)
    # never a server error (a method the path lacks is answered 405)
    assert response.status_code < 500, (case.method, case.path, response.status_code)
