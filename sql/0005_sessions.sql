-- Sessions (meetings), who is invited, their agendas, and private calendar feeds (DOMAIN.md).
CREATE TABLE sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind text NOT NULL CHECK (kind IN ('plenary', 'quarterly', 'working_group')),
    working_group_id uuid REFERENCES working_groups (id),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    level text NOT NULL DEFAULT '' CHECK (length(level) <= 100),
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    timezone text NOT NULL,
    location text NOT NULL DEFAULT '' CHECK (length(location) <= 300),
    status text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'confirmed', 'held', 'cancelled')),
    -- Bumped by every agenda change: the ETag of the agenda, so concurrent reorders conflict.
    agenda_version integer NOT NULL DEFAULT 1,
    -- RFC 5545 SEQUENCE: bumped when the time, place or status changes.
    sequence integer NOT NULL DEFAULT 0,
    -- Set for sessions made by recurring scheduling (e.g. 'quarterly:2027-Q1'), so re-running is idempotent.
    schedule_key text UNIQUE,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sessions_time_order CHECK (ends_at > starts_at AND ends_at <= starts_at + interval '14 days'),
    CONSTRAINT sessions_group_kind CHECK ((kind = 'working_group') = (working_group_id IS NOT NULL))
)
-- statement-break
CREATE INDEX sessions_by_start ON sessions (starts_at, id)
-- statement-break
CREATE INDEX sessions_by_group ON sessions (working_group_id, starts_at)
-- statement-break
CREATE TABLE attendances (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL REFERENCES sessions (id),
    participant_id uuid NOT NULL REFERENCES participants (id),
    invited_at timestamptz NOT NULL DEFAULT now(),
    rsvp text NOT NULL DEFAULT 'pending' CHECK (rsvp IN ('pending', 'yes', 'no', 'maybe')),
    attended boolean,
    on_behalf_of text CHECK (length(on_behalf_of) <= 200),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, participant_id)
)
-- statement-break
CREATE INDEX attendances_by_participant ON attendances (participant_id, session_id)
-- statement-break
CREATE TABLE agenda_items (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL REFERENCES sessions (id),
    position integer NOT NULL CHECK (position >= 1),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 1 AND 480),
    presenter_id uuid REFERENCES participants (id),
    proposal_id uuid,
    outcome text CHECK (outcome IN ('adopted', 'rejected', 'deferred', 'noted')),
    outcome_note text CHECK (length(outcome_note) <= 5000),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Dense 1..n per session; deferred so a renumbering statement may pass through duplicates.
    CONSTRAINT agenda_items_position_unique UNIQUE (session_id, position) DEFERRABLE INITIALLY DEFERRED
)
-- statement-break
CREATE TABLE calendar_feeds (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    participant_id uuid NOT NULL REFERENCES participants (id),
    secret_hash text NOT NULL UNIQUE CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
)
-- statement-break
CREATE INDEX calendar_feeds_by_participant ON calendar_feeds (participant_id)
