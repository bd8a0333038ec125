-- The six fixed directions of the dialogue (DOMAIN.md). Referenced by slug everywhere.
CREATE TABLE directions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z][a-z_]*$'),
    name text NOT NULL,
    description text NOT NULL,
    position integer NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
)
-- statement-break
INSERT INTO directions (slug, name, description, position) VALUES
    ('political', 'Political', 'Political dialogue and the democratic transition', 1),
    ('human_rights', 'Human rights', 'Political prisoners and repression', 2),
    ('accountability', 'Accountability', 'Sanctions and the documentation of abuses', 3),
    ('media', 'Media', 'Independent media and public awareness', 4),
    ('identity_culture', 'Identity and culture', 'Language, history and culture', 5),
    ('private_sector', 'Private sector', 'Business, investment and economic ties', 6)
