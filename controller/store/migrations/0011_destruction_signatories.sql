-- The berita acara names its officers and witnesses by name, NIP and position (issue 20):
-- JSON {"officers": [{name, nip, position}], "witnesses": [...]}. Records written before
-- this migration keep '' and are shown from witnesses_json and created_by as they were.
-- (0011, not 0009/0010: other branches of the same issue number their migrations 0009.)
ALTER TABLE destruction_records ADD COLUMN signatories_json TEXT NOT NULL DEFAULT '';
