-- A campaign an admin cancelled (cetak campaign cancel): when and why. Its records that were
-- not printed are then `cancelled`; 0 means the campaign runs. Numbered 0011 to leave room for
-- the 0009 and 0010 of work in flight on other branches.
ALTER TABLE campaigns ADD COLUMN cancelled_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '';
