-- Proposals, their history and endorsements; action items and their updates; sign-off of
-- session outcomes (DOMAIN.md).
CREATE TABLE proposals (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    working_group_id uuid NOT NULL REFERENCES working_groups (id),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    summary text NOT NULL DEFAULT '' CHECK (length(summary) <= 500),
    body text NOT NULL DEFAULT '' CHECK (length(body) <= 20000),
    kind text NOT NULL CHECK (kind IN ('policy', 'programme', 'sanctions', 'prisoner_case', 'other')),
    scale text NOT NULL CHECK (scale IN ('small', 'large')),
    author_id uuid NOT NULL REFERENCES participants (id),
    status text NOT NULL DEFAULT 'draft' CHECK (status IN (
        'draft', 'submitted', 'withdrawn', 'under_review', 'accepted', 'declined', 'scheduled', 'adopted',
        'rejected', 'deferred')),
    -- 'simple' configuration: no stemming, so Belarusian, Russian and English all match as written.
    search tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', title || ' ' || summary || ' ' || body)) STORED,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
)
-- statement-break
CREATE INDEX proposals_search ON proposals USING gin (search)
-- statement-break
CREATE INDEX proposals_by_group ON proposals (working_group_id, created_at, id)
-- statement-break
CREATE INDEX proposals_order ON proposals (created_at, id)
-- statement-break
CREATE TABLE proposal_transitions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    proposal_id uuid NOT NULL REFERENCES proposals (id),
    actor_id uuid REFERENCES participants (id),
    automatic boolean NOT NULL DEFAULT false,
    from_status text NOT NULL,
    to_status text NOT NULL,
    note text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
)
-- statement-break
CREATE INDEX proposal_transitions_by_proposal ON proposal_transitions (proposal_id, created_at)
-- statement-break
CREATE INDEX proposal_transitions_by_time ON proposal_transitions (created_at)
-- statement-break
CREATE TABLE endorsements (
    proposal_id uuid NOT NULL REFERENCES proposals (id),
    participant_id uuid NOT NULL REFERENCES participants (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (proposal_id, participant_id)
)
-- statement-break
ALTER TABLE agenda_items ADD CONSTRAINT agenda_items_proposal_id_fkey FOREIGN KEY (proposal_id) REFERENCES proposals (id)
-- statement-break
-- A correction after sign-off is a new item that names the one it corrects.
ALTER TABLE agenda_items ADD COLUMN corrects_item_id uuid REFERENCES agenda_items (id)
-- statement-break
CREATE INDEX agenda_items_by_proposal ON agenda_items (proposal_id) WHERE proposal_id IS NOT NULL
-- statement-break
CREATE TABLE session_signoffs (
    session_id uuid NOT NULL REFERENCES sessions (id),
    side text NOT NULL CHECK (side IN ('government', 'movement')),
    participant_id uuid NOT NULL REFERENCES participants (id),
    signed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, side)
)
-- statement-break
CREATE TABLE action_items (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    working_group_id uuid NOT NULL REFERENCES working_groups (id),
    agenda_item_id uuid REFERENCES agenda_items (id),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    owner_id uuid NOT NULL REFERENCES participants (id),
    due_on date NOT NULL,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'blocked', 'done', 'dropped')),
    progress integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    closed_at timestamptz,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT action_items_done_is_complete CHECK (status <> 'done' OR progress = 100)
)
-- statement-break
CREATE INDEX action_items_order ON action_items (created_at, id)
-- statement-break
CREATE INDEX action_items_by_group ON action_items (working_group_id, due_on)
-- statement-break
CREATE INDEX action_items_by_owner ON action_items (owner_id, due_on)
-- statement-break
CREATE INDEX action_items_open_due ON action_items (due_on) WHERE status NOT IN ('done', 'dropped')
-- statement-break
CREATE TABLE action_item_updates (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    action_item_id uuid NOT NULL REFERENCES action_items (id),
    author_id uuid REFERENCES participants (id),
    from_status text,
    to_status text NOT NULL,
    from_progress integer,
    to_progress integer NOT NULL,
    note text NOT NULL DEFAULT '' CHECK (length(note) <= 5000),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
)
-- statement-break
CREATE INDEX action_item_updates_by_item ON action_item_updates (action_item_id, created_at)
