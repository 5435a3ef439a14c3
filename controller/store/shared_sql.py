"""SQL both stores run as written (placeholders as %s; SQLite's store turns them into ?)."""

# Records of one person key under different NIKs, some from one import (ids starting with a
# prefix) and some from before it: every queued one of them is held. CASE, not booleans, so
# both databases read it the same.
HOLD_PERSON_DUPLICATES = (
    "UPDATE records SET state='held', hold_reason=%s WHERE campaign_id=%s AND state='queued' "
    "AND person_key IN (SELECT person_key FROM records WHERE campaign_id=%s AND person_key<>0 "
    "GROUP BY person_key HAVING COUNT(DISTINCT nik) > 1 "
    "AND MAX(CASE WHEN substr(record_id, 1, %s)=%s THEN 1 ELSE 0 END) = 1 "
    "AND MIN(CASE WHEN substr(record_id, 1, %s)=%s THEN 1 ELSE 0 END) = 0)")
