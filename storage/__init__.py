"""Lessonloop's database: tables, migrations, and the queries the engine and metrics use."""
