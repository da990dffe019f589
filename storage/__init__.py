"""kabar's SQLite archive: schema migrations, dedupe, story clusters and queries. Imports nothing from scraper."""
