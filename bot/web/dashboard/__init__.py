"""`/dashboard`: the report's numbers and charts in a browser, read-only, behind a password
or a token (README "Dashboard")."""
