-- X12 file bodies move out of the database into the file store (package
-- filestore): a row names its file by content_id and keeps its checksum and
-- size. The content column stays, empty, until every body has moved: the
-- store's Migrate moves the bodies of older rows right after this migration
-- (query.MoveContentToFiles), a chunk at a time.
ALTER TABLE interchanges ADD COLUMN content_id TEXT NOT NULL DEFAULT '';
ALTER TABLE inbound_files ADD COLUMN content_id TEXT NOT NULL DEFAULT '';
