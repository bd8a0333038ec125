-- E-mail about notifications (issue 22). Off unless a participant asks; never for in-country
-- participants (they have no address). A delivery names the notifications it covers, not its
-- recipient's address nor anything they are about: the address is read when it is sent, so an
-- erased or compromised participant's pending mail has nowhere to go (and is dropped).
CREATE TABLE notification_preferences (
    participant_id uuid PRIMARY KEY REFERENCES participants (id),
    email text NOT NULL DEFAULT 'off' CHECK (email IN ('off', 'daily', 'immediate')),
    -- Which events an e-mail may count; the portal always lists them all.
    events text[] NOT NULL DEFAULT '{session_invited,session_changed,session_cancelled,proposal_moved,proposal_endorsed,action_assigned,action_due_soon,action_overdue,portal_invited}',
    -- Titles in the e-mail (opted into), instead of a count alone.
    full_text boolean NOT NULL DEFAULT false,
    -- No e-mail for now, whatever the rest says.
    quiet boolean NOT NULL DEFAULT false,
    -- The newest notification an e-mail has already covered, and when the last digest went.
    emailed_through bigint NOT NULL DEFAULT 0,
    last_digest_at timestamptz,
    version integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now()
)
-- statement-break
-- The outbox of e-mails: sent one at a time, each marked sent in its own commit before the next
-- goes; a crash between sending and marking sends that one again, with the same Message-ID.
CREATE TABLE email_deliveries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient_id uuid NOT NULL REFERENCES participants (id),
    notification_ids bigint[] NOT NULL CHECK (cardinality(notification_ids) > 0),
    full_text boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    given_up_at timestamptz,
    -- Why the last attempt failed (the relay's reply code and text; never the message).
    last_error text CHECK (length(last_error) <= 500)
)
-- statement-break
CREATE INDEX email_deliveries_due ON email_deliveries (next_attempt_at) WHERE sent_at IS NULL AND given_up_at IS NULL
