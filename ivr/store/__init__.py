"""Call records and voice messages in SQL (SQLite by default, PostgreSQL at scale), never losing an event."""
