-- Notifications (issue 22): an outbox row per (event, recipient), written in the transaction
-- that caused the event. The portal lists them; e-mail and webhook deliveries will work from the
-- same rows. A row names its object by type and id only: never a title, a name or a text, so a
-- leaked table says nothing a participant's own portal page would not.
CREATE TABLE notifications (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient_id uuid NOT NULL REFERENCES participants (id),
    event text NOT NULL CHECK (event IN (
        'session_invited', 'session_changed', 'session_cancelled', 'proposal_moved', 'proposal_endorsed',
        'action_assigned', 'action_due_soon', 'action_overdue', 'portal_invited')),
    object_id uuid NOT NULL,
    -- What makes one occurrence of the event: the status reached, the due date warned of, the
    -- new time. The same occasion never notifies twice.
    occasion text NOT NULL DEFAULT '' CHECK (length(occasion) <= 200),
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at timestamptz,
    UNIQUE (recipient_id, event, object_id, occasion)
)
-- statement-break
-- The header's count and the list's first part: a participant's unread ones.
CREATE INDEX notifications_unread ON notifications (recipient_id, id) WHERE read_at IS NULL
