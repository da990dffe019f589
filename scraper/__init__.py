"""kabar: scrape, clean, segment and deduplicate Indonesian news portals into SQLite."""

__version__ = "0.1.0"
