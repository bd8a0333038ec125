-- The sealed vault (SECURITY.md 2): identifying data of participants, encrypted with
-- AES-256-GCM under a key that is never in the database. `sealed` holds nonce, ciphertext and
-- tag (base64); the participant id is the associated data, so a record copied onto another
-- participant does not decrypt. `key_fingerprint` tells "wrong key" from "tampered".
CREATE TABLE sealed_identities (
    participant_id uuid PRIMARY KEY REFERENCES participants (id),
    sealed text NOT NULL,
    key_fingerprint text NOT NULL CHECK (key_fingerprint ~ '^[0-9a-f]{16}$'),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
)
-- statement-break
-- Least privilege (SECURITY.md 9): the role the service runs as reads and writes the data it
-- needs, may only INSERT and SELECT the audit trail, and owns nothing. Migrations run as the
-- owner. The login role that is granted this one is created by the deployment.
-- Roles are cluster-wide: another database of the same cluster may have made it already.
DO $$
BEGIN
    CREATE ROLE dialogue_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$
-- statement-break
GRANT USAGE ON SCHEMA public TO dialogue_app
-- statement-break
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO dialogue_app
-- statement-break
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM dialogue_app
-- statement-break
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations, directions, server_secrets FROM dialogue_app
-- statement-break
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO dialogue_app
-- statement-break
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO dialogue_app
-- statement-break
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO dialogue_app
