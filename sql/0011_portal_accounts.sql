-- Portal accounts (DOMAIN.md "Accounts"): a participant signs in with a name and passphrase
-- it chose after opening a one-time invitation; no e-mail is needed (a proxy has none).
CREATE TABLE accounts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    participant_id uuid NOT NULL UNIQUE REFERENCES participants (id),
    sign_in_name text NOT NULL CHECK (length(sign_in_name) BETWEEN 3 AND 64),
    -- scrypt$N$r$p$salt$hash (base64), never the passphrase.
    passphrase_hash text NOT NULL CHECK (passphrase_hash LIKE 'scrypt$%'),
    role text NOT NULL CHECK (role IN ('admin', 'coordinator', 'member', 'observer')),
    language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'be', 'ru')),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
)
-- statement-break
CREATE UNIQUE INDEX accounts_sign_in_name_unique ON accounts (lower(sign_in_name))
-- statement-break
-- Single use, 72 hours, stored as the SHA-256 of the secret in the link.
CREATE TABLE portal_invitations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    participant_id uuid NOT NULL REFERENCES participants (id),
    role text NOT NULL CHECK (role IN ('admin', 'coordinator', 'member', 'observer')),
    secret_hash text NOT NULL UNIQUE CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
    invited_by uuid REFERENCES participants (id),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
)
-- statement-break
CREATE INDEX portal_invitations_by_participant ON portal_invitations (participant_id)
-- statement-break
-- Server-side web sessions: the cookie holds a 256-bit id, this table its hash. Idle and
-- absolute expiry are checked on every request; ending one sets ended_at.
CREATE TABLE web_sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id uuid NOT NULL REFERENCES accounts (id),
    secret_hash text NOT NULL UNIQUE CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
    -- The per-session CSRF secret: forms carry an HMAC of it, so it is not a credential alone.
    csrf_secret text NOT NULL CHECK (length(csrf_secret) BETWEEN 32 AND 128),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ended_at timestamptz
)
-- statement-break
CREATE INDEX web_sessions_by_account ON web_sessions (account_id) WHERE ended_at IS NULL
-- statement-break
-- Failed sign-ins, counted per name and per client (a keyed hash of the address: no address
-- is kept), for throttling; rows older than a day are deleted as new ones arrive.
CREATE TABLE sign_in_failures (
    key_hash text NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    failed_at timestamptz NOT NULL DEFAULT now()
)
-- statement-break
CREATE INDEX sign_in_failures_by_key ON sign_in_failures (key_hash, failed_at)
-- statement-break
INSERT INTO server_secrets (name, secret)
VALUES ('sign_in_throttle', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''))
