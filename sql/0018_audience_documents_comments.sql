-- Audience (issue 18): who may read a proposal, agenda item, document or comment. `dialogue` is
-- what everything was before; `side` keeps an object among its author's side; `named` among the
-- participants listed in `audience_names` and the author. The rule itself lives in Swift
-- (AccessPolicy); the database only keeps the facts it needs: the audience, the author, the list.
ALTER TABLE proposals ADD COLUMN audience text NOT NULL DEFAULT 'dialogue'
    CHECK (audience IN ('public', 'dialogue', 'side', 'named'))
-- statement-break
ALTER TABLE agenda_items ADD COLUMN audience text NOT NULL DEFAULT 'dialogue'
    CHECK (audience IN ('public', 'dialogue', 'side', 'named'))
-- statement-break
-- Who added the item: its author for the `side` and `named` audiences (NULL before this
-- migration and for the operator, whose items stay `dialogue` or `public`).
ALTER TABLE agenda_items ADD COLUMN author_id uuid REFERENCES participants (id)
-- statement-break
CREATE TABLE documents (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    working_group_id uuid REFERENCES working_groups (id),
    session_id uuid REFERENCES sessions (id),
    kind text NOT NULL CHECK (kind IN ('briefing', 'position', 'roadmap', 'statement', 'minutes', 'other')),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body text NOT NULL DEFAULT '' CHECK (length(body) <= 100000),
    author_id uuid NOT NULL REFERENCES participants (id),
    audience text NOT NULL DEFAULT 'dialogue' CHECK (audience IN ('public', 'dialogue', 'side', 'named')),
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'final')),
    -- Minutes only: when the second side signed them off; from then on the text is frozen and
    -- changes are corrections (versions marked as such).
    frozen_at timestamptz,
    search tsvector GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || body)) STORED,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((working_group_id IS NULL) <> (session_id IS NULL)),
    CHECK (kind <> 'minutes' OR session_id IS NOT NULL)
)
-- statement-break
-- One set of minutes per session.
CREATE UNIQUE INDEX documents_minutes ON documents (session_id) WHERE kind = 'minutes'
-- statement-break
CREATE INDEX documents_order ON documents (created_at, id)
-- statement-break
CREATE INDEX documents_search ON documents USING gin (search)
-- statement-break
-- Every text a document ever had: version 1 is the first draft; a correction of frozen minutes
-- is a version with `correction` set.
CREATE TABLE document_versions (
    document_id uuid NOT NULL REFERENCES documents (id),
    number integer NOT NULL CHECK (number >= 1),
    title text NOT NULL,
    body text NOT NULL,
    author_id uuid REFERENCES participants (id),
    correction boolean NOT NULL DEFAULT false,
    note text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (document_id, number)
)
-- statement-break
-- The two-sided sign-off of minutes, as for a session's outcomes.
CREATE TABLE document_signoffs (
    document_id uuid NOT NULL REFERENCES documents (id),
    side text NOT NULL CHECK (side IN ('government', 'movement')),
    participant_id uuid NOT NULL REFERENCES participants (id),
    signed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, side)
)
-- statement-break
CREATE TABLE comments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    proposal_id uuid REFERENCES proposals (id),
    document_id uuid REFERENCES documents (id),
    author_id uuid NOT NULL REFERENCES participants (id),
    audience text NOT NULL DEFAULT 'dialogue' CHECK (audience IN ('public', 'dialogue', 'side', 'named')),
    body text NOT NULL CHECK (length(body) <= 5000),
    edited_at timestamptz,
    removed_at timestamptz,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK ((proposal_id IS NULL) <> (document_id IS NULL))
)
-- statement-break
CREATE INDEX comments_by_proposal ON comments (proposal_id, created_at, id) WHERE proposal_id IS NOT NULL
-- statement-break
CREATE INDEX comments_by_document ON comments (document_id, created_at, id) WHERE document_id IS NOT NULL
-- statement-break
-- The participants a `named` object is shared with. `object_id` is the id of a proposal, agenda
-- item, document or comment (ids are unique across them).
CREATE TABLE audience_names (
    object_id uuid NOT NULL,
    participant_id uuid NOT NULL REFERENCES participants (id),
    added_by uuid REFERENCES participants (id),
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (object_id, participant_id)
)
-- statement-break
CREATE INDEX audience_names_by_participant ON audience_names (participant_id, object_id)
-- statement-break
ALTER TABLE notifications DROP CONSTRAINT notifications_event_check
-- statement-break
ALTER TABLE notifications ADD CONSTRAINT notifications_event_check CHECK (event IN (
    'session_invited', 'session_changed', 'session_cancelled', 'proposal_moved', 'proposal_endorsed',
    'action_assigned', 'action_due_soon', 'action_overdue', 'portal_invited', 'document_shared', 'comment_posted'))
-- statement-break
ALTER TABLE notification_preferences ALTER COLUMN events SET DEFAULT
    '{session_invited,session_changed,session_cancelled,proposal_moved,proposal_endorsed,action_assigned,action_due_soon,action_overdue,portal_invited,document_shared,comment_posted}'
-- statement-break
-- A report holds what its exporter's audiences admit, so a frozen snapshot is the exporter's
-- view (the participant id, or 'operator'); '' marks those frozen before audiences existed.
ALTER TABLE export_snapshots ADD COLUMN view text NOT NULL DEFAULT ''
-- statement-break
ALTER TABLE export_snapshots DROP CONSTRAINT export_snapshots_quarter_direction_audience_key
-- statement-break
ALTER TABLE export_snapshots ADD CONSTRAINT export_snapshots_view_key UNIQUE (quarter, direction, audience, view)
