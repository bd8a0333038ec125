-- The quarterly export counts a corrected agenda item once, with the latest outcome among its
-- own and its corrections' (ReportQueries.agendaOutcomes): each item looks up the items that
-- correct it, so that lookup needs an index. Few items are corrections; the index holds those.
CREATE INDEX agenda_items_corrections ON agenda_items (corrects_item_id) WHERE corrects_item_id IS NOT NULL
