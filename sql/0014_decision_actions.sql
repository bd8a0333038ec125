-- The quarterly report lists each adopted decision with the action items made from it: found
-- through this index, not a scan of every action item per decision.
CREATE INDEX action_items_by_agenda_item ON action_items (agenda_item_id) WHERE agenda_item_id IS NOT NULL
