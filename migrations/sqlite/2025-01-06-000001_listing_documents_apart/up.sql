-- PostgreSQL only (its TOAST threshold for listing rows); SQLite keeps its layout.
SELECT 1;
