"""The Alembic migrations match the models: a second autogenerate comes out empty."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from gridapp.extensions import db
from gridapp.jobs.schema import include_object


def test_autogenerate_finds_no_difference(app):
    with app.app_context(), db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": include_object})
        assert compare_metadata(ctx, db.metadata) == []
