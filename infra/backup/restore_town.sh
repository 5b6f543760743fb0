#!/usr/bin/env bash
# Restore one town schema from a dump written by export_town.sh, into the
# same database (the town's row in public.tenants_town must still exist).
#
# Usage: restore_town.sh [--force] <dump-file>
#
#   Without --force, refuses to run if the schema already exists.
#   With --force, renames the existing schema to bak_<epoch>_<schema> and
#   restores in the same transaction: either the restore completes or
#   nothing changes. Drop the renamed schema once the result is checked.
#
# Environment:
#   DATABASE_URL         required; libpq-compatible postgres:// URL. Connect
#                        as the application's database role: with --no-owner
#                        the restored objects belong to the connecting role.
#   BACKUP_DATABASE_URL  optional; used instead of DATABASE_URL when set.
#
# Not restored by this script (see the other export files):
#   - public.tenants_town / public.tenants_domain rows (<slug>-<TS>.*.csv);
#   - media: tar -xzf <slug>-<TS>.media.tar.gz -C "$MEDIA_ROOT"
#   - private files: tar -xzf <slug>-<TS>.private.tar.gz -C "$PRIVATE_MEDIA_ROOT"
# Afterwards, clear the cache / restart web and worker so that no stale
# catalog data is served.

set -euo pipefail

die() {
    printf 'restore_town: %s\n' "$*" >&2
    exit 1
}

usage() {
    printf 'usage: %s [--force] <dump-file>\n' "${0##*/}" >&2
    exit 2
}

force=0
dump=
for arg in "$@"; do
    case $arg in
        --force) force=1 ;;
        -h | --help) usage ;;
        -*) die "unknown option '$arg'" ;;
        *)
            [[ -z $dump ]] || usage
            dump=$arg
            ;;
    esac
done
[[ -n $dump ]] || usage
[[ -f $dump && -r $dump ]] || die "cannot read dump file '$dump'"

db_url=${BACKUP_DATABASE_URL:-${DATABASE_URL:-}}
[[ -n $db_url ]] || die "DATABASE_URL is not set"

for tool in pg_restore psql; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found in PATH"
done

# Check the dump against the checksum file written next to it, if any.
dump_dir=$(dirname -- "$dump")
dump_name=$(basename -- "$dump")
sums="$dump_dir/${dump_name%.dump}.sha256"
if [[ -f $sums ]]; then
    line=$(grep -F -- "  $dump_name" "$sums" || true)
    [[ -n $line ]] || die "'$dump_name' is not listed in $sums"
    (cd -- "$dump_dir" && printf '%s\n' "$line" | sha256sum --check --quiet -) ||
        die "checksum mismatch for '$dump'"
fi

# The schema to restore is the one SCHEMA entry in the dump's table of
# contents (lines look like "5; 2615 16390 SCHEMA - v_saint_omer owner").
schemas=$(pg_restore --list -- "$dump" | awk '$4 == "SCHEMA" && $5 == "-" { print $6 }')
[[ -n $schemas ]] || die "no schema found in '$dump' (not an export_town.sh dump?)"
[[ $schemas != *$'\n'* ]] || die "'$dump' contains several schemas: $schemas"
schema=$schemas
if [[ ! $schema =~ ^v_[a-z0-9][a-z0-9_]{0,39}$ ]]; then
    die "unexpected schema name '$schema' in '$dump'"
fi

psql_q() {
    psql --no-psqlrc --quiet --no-align --tuples-only \
        --set=ON_ERROR_STOP=1 --set=schema="$schema" \
        --dbname="$db_url" "$@"
}

exists=$(psql_q <<'SQL'
SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = :'schema';
SQL
)
has_town=$(psql_q <<'SQL'
SELECT count(*) FROM public.tenants_town WHERE schema_name = :'schema';
SQL
)

if [[ $exists == 1 ]]; then
    if [[ $force != 1 ]]; then
        die "schema '$schema' already exists; re-run with --force to replace it"
    fi
    # Outside the v_* namespace, so it can never clash with a town schema.
    aside="bak_$(date -u +%s)_${schema}"
    printf 'Replacing schema %s (the current one is kept as %s)...\n' \
        "$schema" "$aside" >&2
    # The rename and the restore script run in ONE transaction. COMMIT is
    # sent only after pg_restore has produced the whole script: if it fails
    # half-way, psql sees end of input inside an open transaction and the
    # server rolls everything back. The names were validated above
    # ([a-z0-9_] only), so the quoting is exact.
    {
        printf 'BEGIN;\n'
        printf 'ALTER SCHEMA "%s" RENAME TO "%s";\n' "$schema" "$aside"
        pg_restore --no-owner --file=- -- "$dump" || exit 1
        printf 'COMMIT;\n'
    } | psql --no-psqlrc --quiet --set=ON_ERROR_STOP=1 \
        --output=/dev/null --dbname="$db_url"
    printf 'Restored %s. Previous data: schema %s; once checked, run:\n' \
        "$schema" "$aside" >&2
    printf '  DROP SCHEMA "%s" CASCADE;\n' "$aside" >&2
else
    printf 'Restoring schema %s...\n' "$schema" >&2
    pg_restore --no-owner --single-transaction --exit-on-error \
        --dbname="$db_url" -- "$dump"
    printf 'Restored %s.\n' "$schema" >&2
fi

if [[ $has_town != 1 ]]; then
    printf 'restore_town: warning: no public.tenants_town row has schema_name=%s;\n' \
        "$schema" >&2
    printf '  the schema is not reachable until the town row is recreated (see the .town.csv export).\n' >&2
fi
