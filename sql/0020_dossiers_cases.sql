-- Sanctions dossiers and political-prisoner cases (issue 19): the structured part of a
-- `sanctions` or `prisoner_case` proposal, one each, read and written with the proposal's own
-- access. Lists of names, identifiers, positions, links, authorities and claims are JSON
-- arrays whose shape Swift validates (DossierInput); nothing here is free text to search.
CREATE TABLE sanctions_dossiers (
    proposal_id uuid PRIMARY KEY REFERENCES proposals (id),
    target_kind text NOT NULL CHECK (target_kind IN ('person', 'organization')),
    names jsonb NOT NULL DEFAULT '[]',
    aliases text[] NOT NULL DEFAULT '{}',
    birth_date date,
    nationalities text[] NOT NULL DEFAULT '{}',
    identifiers jsonb NOT NULL DEFAULT '[]',
    positions jsonb NOT NULL DEFAULT '[]',
    links jsonb NOT NULL DEFAULT '[]',
    authorities jsonb NOT NULL DEFAULT '[]',
    reason text NOT NULL DEFAULT '' CHECK (length(reason) <= 20000),
    claims jsonb NOT NULL DEFAULT '[]',
    -- The prisoner case (and role) it was opened from, if any.
    from_case uuid REFERENCES proposals (id),
    version integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now()
)
-- statement-break
CREATE TABLE prisoner_cases (
    proposal_id uuid PRIMARY KEY REFERENCES proposals (id),
    person_name text NOT NULL DEFAULT '' CHECK (length(person_name) <= 300),
    detained_on date,
    articles text[] NOT NULL DEFAULT '{}',
    court text NOT NULL DEFAULT '' CHECK (length(court) <= 300),
    judge text NOT NULL DEFAULT '' CHECK (length(judge) <= 300),
    prosecutor text NOT NULL DEFAULT '' CHECK (length(prosecutor) <= 300),
    investigator text NOT NULL DEFAULT '' CHECK (length(investigator) <= 300),
    verdict_on date,
    sentence text NOT NULL DEFAULT '' CHECK (length(sentence) <= 500),
    facility text NOT NULL DEFAULT '' CHECK (length(facility) <= 300),
    status text NOT NULL DEFAULT 'detained' CHECK (status IN ('detained', 'sentenced', 'released', 'died')),
    external_reference text CHECK (length(external_reference) <= 2000),
    -- Where the case may appear: nowhere outside the portal, internal reports, or public ones.
    consent text NOT NULL DEFAULT 'none' CHECK (consent IN ('none', 'internal', 'public')),
    version integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now()
)
-- statement-break
-- Offline reference lists of who is already sanctioned (OpenSanctions entities format).
CREATE TABLE reference_imports (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    file_date text NOT NULL DEFAULT '',
    entities integer NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now()
)
-- statement-break
CREATE TABLE reference_entities (
    id text PRIMARY KEY CHECK (length(id) <= 300),
    schema text NOT NULL,
    caption text NOT NULL,
    -- Every name and alias, as written and as the matcher folds it (`NameForms`).
    names text[] NOT NULL,
    folded text[] NOT NULL,
    birth_dates text[] NOT NULL DEFAULT '{}',
    identifiers text[] NOT NULL DEFAULT '{}',
    -- The authorities whose lists carry it (us, eu, uk, ca, ch, ua, …), from its datasets.
    authorities text[] NOT NULL DEFAULT '{}',
    import_id uuid NOT NULL REFERENCES reference_imports (id)
)
-- statement-break
CREATE INDEX reference_entities_folded ON reference_entities USING gin (folded)
-- statement-break
-- A dossier target matched to a reference entity: advice, until a coordinator decides.
CREATE TABLE reference_matches (
    proposal_id uuid NOT NULL REFERENCES proposals (id),
    reference_id text NOT NULL REFERENCES reference_entities (id),
    score integer NOT NULL CHECK (score BETWEEN 0 AND 100),
    reasons text[] NOT NULL,
    decision text NOT NULL DEFAULT 'suggested' CHECK (decision IN ('suggested', 'confirmed', 'rejected')),
    decided_by uuid REFERENCES participants (id),
    decided_at timestamptz,
    PRIMARY KEY (proposal_id, reference_id)
)
