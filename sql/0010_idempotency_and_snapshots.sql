-- An idempotency key is settled inside the write's own transaction (state 'committed', with
-- the object it created), so a crash between COMMIT and storing the response can never let a
-- retry create a second object. `claim` names the request holding the key: a request whose
-- reservation was taken over as abandoned cannot settle it.
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_state_check
-- statement-break
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_state_check
    CHECK (state IN ('running', 'committed', 'done'))
-- statement-break
ALTER TABLE idempotency_keys ADD COLUMN claim uuid
-- statement-break
ALTER TABLE idempotency_keys ADD COLUMN created_object text CHECK (length(created_object) <= 200)
-- statement-break
-- A response that carried a secret (a token, a calendar feed URL) is never kept: secrets
-- exist at rest only as hashes (SECURITY.md 18).
ALTER TABLE idempotency_keys ADD COLUMN withheld boolean NOT NULL DEFAULT false
-- statement-break
-- Responses stored before this rule may hold minted secrets (they all begin with dlg_).
UPDATE idempotency_keys SET response_body = NULL, response_headers = NULL, withheld = true
WHERE response_body IS NOT NULL AND position('dlg_'::bytea IN response_body) > 0
-- statement-break
-- Frozen snapshots are evidence: the service may add them, never change or remove them.
-- Erasing a participant still has to take their name out; that one change goes through a
-- function owned by the schema owner, which rewrites only whole JSON string values and
-- records when it did.
ALTER TABLE export_snapshots ADD COLUMN scrubbed_at timestamptz
-- statement-break
REVOKE UPDATE, DELETE, TRUNCATE ON export_snapshots FROM dialogue_app
-- statement-break
CREATE FUNCTION scrub_export_snapshots(erased_json text, replacement_json text) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH changed AS (
        UPDATE export_snapshots
        SET content = replace(content, erased_json, replacement_json), scrubbed_at = now()
        WHERE erased_json ~ '^".+"$' AND position(erased_json IN content) > 0
        RETURNING 1
    ) SELECT count(*) FROM changed
$$
-- statement-break
REVOKE ALL ON FUNCTION scrub_export_snapshots(text, text) FROM PUBLIC
-- statement-break
GRANT EXECUTE ON FUNCTION scrub_export_snapshots(text, text) TO dialogue_app
