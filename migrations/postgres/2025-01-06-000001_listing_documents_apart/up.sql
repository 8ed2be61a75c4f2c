-- Listing documents live apart from the listing rows: any row longer than 128 bytes has its
-- document compressed and, still too long, moved to the table's TOAST storage. The listing
-- rows stay a few hundred bytes long, so the lookups of an import (one per listing) and the
-- counts of the withdrawal read a few pages instead of one page per listing; a document is
-- read only when a listing is read whole. Rows written before keep their place until they
-- are next written.
ALTER TABLE properties SET (toast_tuple_target = 128);
