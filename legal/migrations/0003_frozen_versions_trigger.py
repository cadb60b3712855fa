"""A database trigger that keeps published versions as they were published.

The model and its queryset already refuse such changes; the trigger also stops raw
SQL, bulk tools and future code that forgets the rule. A released version may only
move from scheduled to published, or, before its date, be withdrawn back to a draft
with its number and dates cleared; its text never changes. On
PostgreSQL it also refuses deleting a released version (SQLite's test flush deletes
rows one table at a time, so there the model guard has to do).
"""

from django.db import migrations

TEXT = ("policy_id", "title", "body", "summary", "material")
CONTENT_CHANGED = " OR ".join(
    f"NEW.{column} IS DISTINCT FROM OLD.{column}" for column in (*TEXT, "number", "effective_at", "published_at")
)
STATUS_REGRESSED = "NEW.status = 'draft' OR (OLD.status = 'published' AND NEW.status <> 'published')"
TEXT_KEPT = " AND ".join(f"NEW.{column} IS NOT DISTINCT FROM OLD.{column}" for column in TEXT)
WITHDRAWN = (
    "OLD.status = 'scheduled' AND NEW.status = 'draft' AND OLD.effective_at > {now} "
    f"AND NEW.number IS NULL AND NEW.effective_at IS NULL AND NEW.published_at IS NULL AND {TEXT_KEPT}"
)

POSTGRES_FORWARD = f"""
CREATE OR REPLACE FUNCTION legal_policyversion_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'legal.version_frozen: published policy versions cannot be deleted'
                USING ERRCODE = '23000';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND ({STATUS_REGRESSED} OR {CONTENT_CHANGED})
            AND NOT ({WITHDRAWN.format(now="now()")}) THEN
        RAISE EXCEPTION 'legal.version_frozen: published policy versions cannot change'
            USING ERRCODE = '23000';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER legal_policyversion_frozen
    BEFORE UPDATE OR DELETE ON legal_policyversion
    FOR EACH ROW EXECUTE FUNCTION legal_policyversion_frozen();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS legal_policyversion_frozen ON legal_policyversion;
DROP FUNCTION IF EXISTS legal_policyversion_frozen();
"""

# Django stores datetimes in SQLite as UTC text of this shape, so text comparison orders them.
SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"


def _sqlite(condition: str) -> str:
    return condition.replace("IS NOT DISTINCT FROM", "IS").replace("<>", "!=")


SQLITE_FORWARD = f"""
CREATE TRIGGER legal_policyversion_frozen BEFORE UPDATE ON legal_policyversion
WHEN OLD.status <> 'draft'
    AND ({STATUS_REGRESSED.replace("<>", "!=")} OR {CONTENT_CHANGED.replace("IS DISTINCT FROM", "IS NOT")})
    AND NOT ({_sqlite(WITHDRAWN).format(now=SQLITE_NOW)})
BEGIN
    SELECT RAISE(ABORT, 'legal.version_frozen: published policy versions cannot change');
END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS legal_policyversion_frozen;"


def forward(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("legal", "0002_policies_and_legal_group")]

    operations = [migrations.RunPython(forward, backward)]
