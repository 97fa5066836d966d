-- Data as boxoffice 0.4.1 keeps it, for the upgrade test from 0.4.1 (once a
-- newer version exists). 0.4.1 changed no table and no API that writes, so
-- 0.4.0's data file loads as it is.
\ir data-0.4.0.sql
