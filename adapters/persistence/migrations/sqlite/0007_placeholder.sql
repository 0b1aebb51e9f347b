-- Placeholder on the apikeys branch only: migrations must be numbered without gaps and 0007
-- belongs to another branch. Drop this file when merging after the real 0007.
SELECT 1;
