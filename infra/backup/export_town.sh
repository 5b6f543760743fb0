#!/usr/bin/env bash
# Export one town: its PostgreSQL schema, its rows of the shared (public)
# tables, and its media files.
#
# Usage: export_town.sh <town-slug> [output-dir]
#
# Environment:
#   DATABASE_URL         required; libpq-compatible postgres:// URL (no
#                        Django-only query options). Point it at PostgreSQL
#                        directly rather than through PgBouncer.
#   BACKUP_DATABASE_URL  optional; used instead of DATABASE_URL when set.
#   MEDIA_ROOT           optional; when set, MEDIA_ROOT/<schema>/ is archived.
#   PRIVATE_MEDIA_ROOT   optional; when set, PRIVATE_MEDIA_ROOT/<schema>/ (the
#                        town's private files: imports, ...) is archived.
#
# Output, in output-dir (default: current directory), with TS a UTC timestamp:
#   <slug>-<TS>.dump             pg_dump custom format of schema v_<slug>
#   <slug>-<TS>.town.csv         the town's row of public.tenants_town
#   <slug>-<TS>.domains.csv      its rows of public.tenants_domain
#   <slug>-<TS>.media.tar.gz     its media folder (if MEDIA_ROOT is set)
#   <slug>-<TS>.private.tar.gz   its private files (if PRIVATE_MEDIA_ROOT is set)
#   <slug>-<TS>.sha256           checksums of the files above (sha256sum -c)
#
# This is a per-town export (handing data to a town, moving a town, undoing a
# mistake in one town). It does not replace whole-cluster backups (physical
# base backups + WAL archiving, e.g. pgBackRest). Media stored in S3 is not
# covered: copy the bucket's <schema>/ and private/<schema>/ prefixes with your
# S3 tooling.
# Tip: the URL (with its password) is visible in `ps` while this runs. On
# shared hosts prefer a password-less URL plus ~/.pgpass or PGPASSFILE.

set -euo pipefail

die() {
    printf 'export_town: %s\n' "$*" >&2
    exit 1
}

usage() {
    printf 'usage: %s <town-slug> [output-dir]\n' "${0##*/}" >&2
    exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || usage

slug=$1
out_dir=${2:-.}

if [[ ! $slug =~ ^[a-z0-9][a-z0-9-]{0,39}$ ]]; then
    die "invalid town slug '$slug' (expected ^[a-z0-9][a-z0-9-]{0,39}\$)"
fi

db_url=${BACKUP_DATABASE_URL:-${DATABASE_URL:-}}
[[ -n $db_url ]] || die "DATABASE_URL is not set"

for tool in pg_dump psql sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found in PATH"
done

# Schema naming rule of the platform: v_<slug with '-' replaced by '_'>.
schema="v_${slug//-/_}"
ts=$(date -u +%Y%m%dT%H%M%SZ)
prefix="${slug}-${ts}"

mkdir -p -- "$out_dir"
# Exports contain personal data: keep them private to the operator.
umask 077

psql_q() {
    # Values go in as psql variables and are quoted by psql itself
    # (:'slug', :'schema'), never pasted into the SQL text.
    psql --no-psqlrc --quiet --no-align --tuples-only \
        --set=ON_ERROR_STOP=1 \
        --set=slug="$slug" --set=schema="$schema" \
        --dbname="$db_url" "$@"
}

exists=$(psql_q <<'SQL'
SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = :'schema';
SQL
)
[[ $exists == 1 ]] || die "schema '$schema' does not exist (town '$slug')"

files=()

# 1. The town's schema. --strict-names: fail rather than write an empty dump.
# The schema name is [a-z0-9_] only, so it is a literal pattern for -n.
printf 'Dumping schema %s...\n' "$schema" >&2
pg_dump --format=custom --strict-names \
    --schema="$schema" \
    --file="$out_dir/$prefix.dump" \
    --dbname="$db_url"
files+=("$prefix.dump")

# 2. The town's rows of the shared tables. psql's \copy does not expand psql
# variables, so this runs COPY ... TO STDOUT (still written client-side) with
# the slug-derived value bound as :'schema'. django-tenants guarantees the
# schema_name column. tenants_domain.tenant_id references tenants_town.id.
printf 'Exporting public.tenants_town / public.tenants_domain rows...\n' >&2
psql_q >"$out_dir/$prefix.town.csv" <<'SQL'
COPY (
    SELECT t.*
    FROM public.tenants_town AS t
    WHERE t.schema_name = :'schema'
) TO STDOUT WITH (FORMAT csv, HEADER true);
SQL
files+=("$prefix.town.csv")

psql_q >"$out_dir/$prefix.domains.csv" <<'SQL'
COPY (
    SELECT d.*
    FROM public.tenants_domain AS d
    JOIN public.tenants_town AS t ON t.id = d.tenant_id
    WHERE t.schema_name = :'schema'
    ORDER BY d.id
) TO STDOUT WITH (FORMAT csv, HEADER true);
SQL
files+=("$prefix.domains.csv")

# The header line alone means no row matched.
if [[ $(wc -l <"$out_dir/$prefix.town.csv") -lt 2 ]]; then
    printf 'export_town: warning: no tenants_town row with schema_name=%s\n' \
        "$schema" >&2
fi

# 3. Media files stored on local disk, under MEDIA_ROOT/<schema_name>/.
if [[ -n ${MEDIA_ROOT:-} ]]; then
    if [[ -d $MEDIA_ROOT/$schema ]]; then
        printf 'Archiving %s/%s...\n' "$MEDIA_ROOT" "$schema" >&2
        tar --create --gzip \
            --file="$out_dir/$prefix.media.tar.gz" \
            --directory="$MEDIA_ROOT" -- "$schema"
        files+=("$prefix.media.tar.gz")
    else
        printf 'export_town: note: no media directory %s/%s\n' \
            "$MEDIA_ROOT" "$schema" >&2
    fi
fi

# 4. Private files (never served), under PRIVATE_MEDIA_ROOT/<schema_name>/.
if [[ -n ${PRIVATE_MEDIA_ROOT:-} ]]; then
    if [[ -d $PRIVATE_MEDIA_ROOT/$schema ]]; then
        printf 'Archiving %s/%s...\n' "$PRIVATE_MEDIA_ROOT" "$schema" >&2
        (umask 077 && tar --create --gzip \
            --file="$out_dir/$prefix.private.tar.gz" \
            --directory="$PRIVATE_MEDIA_ROOT" -- "$schema")
        files+=("$prefix.private.tar.gz")
    else
        printf 'export_town: note: no private files directory %s/%s\n' \
            "$PRIVATE_MEDIA_ROOT" "$schema" >&2
    fi
fi

# 5. Checksums, with relative names so `sha256sum -c` works inside out_dir.
(cd -- "$out_dir" && sha256sum -- "${files[@]}" >"$prefix.sha256")

printf 'Exported town %s (schema %s) to %s:\n' "$slug" "$schema" "$out_dir" >&2
for f in "${files[@]}" "$prefix.sha256"; do
    printf '  %s\n' "$f" >&2
done
