-- PostgreSQL only (where the server keeps source records); SQLite keeps its layout.
SELECT 1;
