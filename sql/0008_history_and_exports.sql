-- History the quarterly export reads "as of quarter end" (DOMAIN.md, Quarterly export), and
-- frozen export snapshots that can be re-issued byte for byte.
CREATE TABLE session_transitions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL REFERENCES sessions (id),
    from_status text NOT NULL,
    to_status text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
)
-- statement-break
CREATE INDEX session_transitions_by_session ON session_transitions (session_id, created_at)
-- statement-break
CREATE TABLE agenda_outcome_history (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agenda_item_id uuid NOT NULL REFERENCES agenda_items (id),
    outcome text CHECK (outcome IN ('adopted', 'rejected', 'deferred', 'noted')),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
)
-- statement-break
CREATE INDEX agenda_outcome_history_by_item ON agenda_outcome_history (agenda_item_id, created_at)
-- statement-break
CREATE INDEX action_item_updates_by_time ON action_item_updates (created_at)
-- statement-break
CREATE TABLE export_snapshots (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    quarter text NOT NULL,
    direction text NOT NULL DEFAULT '',
    audience text NOT NULL CHECK (audience IN ('internal', 'public')),
    content text NOT NULL,
    sha256 text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (quarter, direction, audience)
)
