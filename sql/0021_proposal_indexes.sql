-- Proposals by author and by status, newest first (issue 20). The portal's home page lists a
-- member's own drafts (author and status) and the proposals awaiting review (status); with
-- neither index PostgreSQL read every proposal for the first (7.7 ms of the page's ~10 at
-- the benchmark's scale, 50,000 proposals) and walked the whole order for the second.
CREATE INDEX proposals_by_author ON proposals (author_id, created_at, id)
-- statement-break
CREATE INDEX proposals_by_status ON proposals (status, created_at, id)
