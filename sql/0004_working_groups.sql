-- Working groups (one direction each) and who belongs to them (DOMAIN.md).
CREATE TABLE working_groups (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    direction text NOT NULL REFERENCES directions (slug),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    mandate text NOT NULL DEFAULT '' CHECK (length(mandate) <= 5000),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
)
-- statement-break
CREATE UNIQUE INDEX working_groups_name_unique ON working_groups (direction, lower(name))
-- statement-break
CREATE INDEX working_groups_order ON working_groups (created_at, id)
-- statement-break
CREATE TABLE memberships (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    working_group_id uuid NOT NULL REFERENCES working_groups (id),
    participant_id uuid NOT NULL REFERENCES participants (id),
    role text NOT NULL CHECK (role IN ('chair', 'member', 'observer')),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (working_group_id, participant_id)
)
-- statement-break
-- "Which groups is this caller in?" is asked on nearly every request.
CREATE INDEX memberships_participant ON memberships (participant_id, working_group_id)
-- statement-break
CREATE INDEX memberships_group_order ON memberships (working_group_id, created_at, id)
-- statement-break
CREATE INDEX participants_kind_status ON participants (kind, status)
