-- PostgreSQL only (how the server compresses listing documents); SQLite keeps its layout.
SELECT 1;
