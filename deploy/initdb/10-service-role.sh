#!/bin/sh
# First start of the compose database: the service's login. Its privileges come from the
# dialogue_app role, which the migrations create and grant; this login only holds it.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
DO \$\$ BEGIN CREATE ROLE dialogue_app NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$;
CREATE ROLE dialogue_service LOGIN PASSWORD '${DIALOGUE_APP_PASSWORD}' IN ROLE dialogue_app;
SQL
