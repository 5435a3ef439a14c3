-- The model and retransfer flag each printer reported (from its PrinterInfo), so the controller
-- charges film only for cards a retransfer printer fed (a direct-to-card printer uses none).
-- retransfer NULL: not reported (rows written before this migration, until the agent's next
-- Hello); such a printer is charged ribbon and film, as before.
ALTER TABLE printers ADD COLUMN model TEXT NOT NULL DEFAULT '';
ALTER TABLE printers ADD COLUMN retransfer INTEGER;
