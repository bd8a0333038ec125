-- A second factor for portal accounts (TOTP, RFC 6238): required of coordinators and admins,
-- open to members and observers. The secret is sealed (AES-GCM) under a key that is not in the
-- database (DIALOGUE_FACTOR_KEY or DIALOGUE_FACTOR_KEY_FILE); the last time step used is kept
-- so that a code works once. A new invitation clears both: that is the recovery.
ALTER TABLE accounts ADD COLUMN second_factor text, ADD COLUMN second_factor_step bigint
-- statement-break
-- A session signed in by passphrase waits for its second factor: 'code' (enter one) or 'setup'
-- (choose one; the sealed secret being set up stays on the session until a code confirms it).
ALTER TABLE web_sessions
    ADD COLUMN factor text NOT NULL DEFAULT 'none' CHECK (factor IN ('none', 'code', 'setup')),
    ADD COLUMN pending_second_factor text,
    ADD CONSTRAINT web_sessions_pending_only_in_setup CHECK (pending_second_factor IS NULL OR factor = 'setup')
