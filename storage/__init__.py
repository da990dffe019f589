"""kabar's SQLite archive: schema migrations, dedupe, story clusters and queries. Never imports the scraper package."""
