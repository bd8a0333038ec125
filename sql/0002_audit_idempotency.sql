-- The tamper-evident audit trail (SECURITY.md 9): one row per write, chained by SHA-256.
-- `seq` is gap-free and assigned under a transaction-level advisory lock, so chain order is
-- commit order. `diff` is canonical JSON text (not jsonb) so the hash can be recomputed exactly.
CREATE TABLE audit_log (
    seq bigint PRIMARY KEY CHECK (seq > 0),
    id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    occurred_at timestamptz NOT NULL,
    actor text NOT NULL,
    actor_participant_id uuid,
    action text NOT NULL,
    object_type text NOT NULL,
    object_id text NOT NULL,
    diff text NOT NULL,
    request_id text NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL UNIQUE
)
-- statement-break
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, seq)
-- statement-break
CREATE INDEX audit_log_actor ON audit_log (actor_participant_id, seq)
-- statement-break
CREATE INDEX audit_log_time ON audit_log (occurred_at)
-- statement-break
-- Append-only, whatever role writes: rows are never changed or removed in place.
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$
-- statement-break
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()
-- statement-break
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()
-- statement-break
-- Creating POSTs retried with the same Idempotency-Key get the first response back.
-- Keys are scoped to the caller (the participant behind the token).
CREATE TABLE idempotency_keys (
    scope text NOT NULL,
    key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash text NOT NULL,
    state text NOT NULL CHECK (state IN ('running', 'done')),
    response_status integer,
    response_headers text,
    response_body bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
)
-- statement-break
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)
-- statement-break
-- Secrets shared by every instance (e.g. the key that signs pagination cursors), so that
-- instances stay stateless and interchangeable. Generated here, never configured by hand.
CREATE TABLE server_secrets (
    name text PRIMARY KEY,
    secret text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
-- statement-break
INSERT INTO server_secrets (name, secret)
VALUES ('cursor_signing', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''))
