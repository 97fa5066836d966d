-- Data as boxoffice 0.4.2 keeps it, for the upgrade test from 0.4.2 (once a
-- newer version exists). 0.4.2 changed no API that writes, and its new column
-- (queues.last_numbered_entry) is kept by the line itself, so 0.4.0's data
-- file loads as it is.
\ir data-0.4.1.sql
