-- Documents and file contents are never filtered or joined on, so ANALYZE
-- keeps no statistics of them: sampling a claim's or claim payment's JSON
-- document (1-1.5 KB each) was most of the cost of analyzing those tables,
-- which the table upkeep does several times during a large run.
ALTER TABLE claims ALTER COLUMN document SET STATISTICS 0;
ALTER TABLE claim_payments ALTER COLUMN document SET STATISTICS 0;
ALTER TABLE acknowledgments ALTER COLUMN details SET STATISTICS 0;
ALTER TABLE worklist_items ALTER COLUMN details SET STATISTICS 0;
ALTER TABLE coverages ALTER COLUMN benefits SET STATISTICS 0;
ALTER TABLE inbound_files ALTER COLUMN content SET STATISTICS 0;
ALTER TABLE interchanges ALTER COLUMN content SET STATISTICS 0;
