CREATE TABLE organizations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    side text NOT NULL CHECK (side IN ('government', 'movement', 'partner')),
    country text CHECK (country ~ '^[A-Z]{2}$'),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
)
-- statement-break
CREATE UNIQUE INDEX organizations_name_unique ON organizations (lower(name))
-- statement-break
CREATE INDEX organizations_order ON organizations (created_at, id)
-- statement-break
CREATE TABLE participants (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    kind text NOT NULL CHECK (kind IN ('diaspora', 'in_country_proxy', 'official')),
    organization_id uuid REFERENCES organizations (id),
    timezone text NOT NULL DEFAULT 'UTC',
    languages text[] NOT NULL DEFAULT '{}',
    email text,
    represents text,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'compromised')),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- SECURITY.md 1: an in-country proxy never has a contact channel in public fields.
    CONSTRAINT participants_proxy_without_email CHECK (kind <> 'in_country_proxy' OR email IS NULL)
)
-- statement-break
CREATE INDEX participants_order ON participants (created_at, id)
-- statement-break
CREATE INDEX participants_organization ON participants (organization_id)
-- statement-break
CREATE TABLE tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    participant_id uuid NOT NULL REFERENCES participants (id),
    token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    role text NOT NULL CHECK (role IN ('admin', 'coordinator', 'member', 'observer')),
    label text NOT NULL DEFAULT '',
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    last_used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
)
-- statement-break
CREATE INDEX tokens_participant ON tokens (participant_id, created_at, id)
