-- Evidence with a chain of custody (issue 19): a file attached to a proposal or a document,
-- hashed (SHA-256) as it streams in, typed by its bytes, stored in PostgreSQL in chunks as a
-- working copy with identifying metadata removed (both hashes kept). Its original file name is
-- never stored: it is `evidence-N.ext`.
CREATE TABLE evidence (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    proposal_id uuid REFERENCES proposals (id),
    document_id uuid REFERENCES documents (id),
    media_type text NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png', 'application/pdf', 'text/plain')),
    declared_type text CHECK (length(declared_type) <= 200),
    original_sha256 text NOT NULL CHECK (original_sha256 ~ '^[0-9a-f]{64}$'),
    original_size bigint NOT NULL CHECK (original_size > 0),
    stored_sha256 text NOT NULL CHECK (stored_sha256 ~ '^[0-9a-f]{64}$'),
    stored_size bigint NOT NULL CHECK (stored_size > 0),
    -- What was removed from the working copy (e.g. 'APP1 EXIF', 'PNG tEXt'), or that a PDF may
    -- still carry metadata.
    metadata_removed text[] NOT NULL DEFAULT '{}',
    may_carry_metadata boolean NOT NULL DEFAULT false,
    source_url text CHECK (length(source_url) <= 2000),
    captured_at timestamptz,
    uploader_id uuid NOT NULL REFERENCES participants (id),
    received_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((proposal_id IS NULL) <> (document_id IS NULL))
)
-- statement-break
CREATE INDEX evidence_by_proposal ON evidence (proposal_id, received_at) WHERE proposal_id IS NOT NULL
-- statement-break
CREATE INDEX evidence_by_document ON evidence (document_id, received_at) WHERE document_id IS NOT NULL
-- statement-break
-- The working copy, in order; written as it streams in, read back the same way.
CREATE TABLE evidence_chunks (
    -- Written before its evidence row (whose hashes are known only at the end), in one transaction.
    evidence_id uuid NOT NULL REFERENCES evidence (id) DEFERRABLE INITIALLY DEFERRED,
    seq integer NOT NULL CHECK (seq >= 0),
    data bytea NOT NULL,
    PRIMARY KEY (evidence_id, seq)
)
