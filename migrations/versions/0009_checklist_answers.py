"""Checklist answers: pass / fail / na instead of true / false

Revision ID: 0009_checklist_answers
Revises: 0008_kpi_indexes
Create Date: 2026-12-05 18:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009_checklist_answers'
down_revision = '0008_kpi_indexes'
branch_labels = None
depends_on = None

# Issue 24: an inspection's checklist answers are "pass" | "fail" | "na" (inspections/rules.py);
# answers stored as JSON booleans (true = pass, false = fail) are rewritten in place, in the visits
# and in the place timeline's copy.
TO_ANSWERS = """(SELECT coalesce(jsonb_object_agg(key, CASE value WHEN 'true'::jsonb THEN '"pass"'::jsonb
                                                   WHEN 'false'::jsonb THEN '"fail"'::jsonb ELSE value END), '{}')
                FROM jsonb_each({column}))"""
TO_BOOLEANS = """(SELECT coalesce(jsonb_object_agg(key, CASE value WHEN '"pass"'::jsonb THEN 'true'::jsonb
                                                   WHEN '"na"'::jsonb THEN 'true'::jsonb
                                                   WHEN '"fail"'::jsonb THEN 'false'::jsonb ELSE value END), '{}')
                 FROM jsonb_each({column}))"""


def _rewrite(expression: str) -> None:
    op.execute(f"UPDATE inspection_places SET checklist = {expression.replace('{column}', 'checklist')} "
               "WHERE jsonb_typeof(checklist) = 'object'")
    timeline = expression.replace('{column}', "(data->'checklist')")
    op.execute(f"UPDATE place_events SET data = jsonb_set(data, '{{checklist}}', {timeline}) "
               "WHERE jsonb_typeof(data->'checklist') = 'object'")


def upgrade():
    _rewrite(TO_ANSWERS)


def downgrade():
    _rewrite(TO_BOOLEANS)
