"""A plain SQL accent-folding function in public, shared by every town's search.

The unaccent extension is not in the embedded PostgreSQL (pgserver); this function gives the same
result for French text everywhere and is IMMUTABLE, so it can back indexes.
"""

from django.db import migrations

FROM_CHARS = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝŸ’"
TO_CHARS = "aaaaaaceeeeiiiinooooouuuuyyAAAAAACEEEEIIIINOOOOOUUUUYY''"  # '' is a quote in SQL

CREATE = f"""
CREATE OR REPLACE FUNCTION public.comptoir_unaccent(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT replace(replace(replace(replace(
        translate(value, '{FROM_CHARS}', '{TO_CHARS}'),
        'œ', 'oe'), 'Œ', 'OE'), 'æ', 'ae'), 'Æ', 'AE')
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]

    operations = [
        migrations.RunSQL(CREATE, "DROP FUNCTION IF EXISTS public.comptoir_unaccent(text);"),
    ]
