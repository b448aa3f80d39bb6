"""A developer dashboard for `weare-harness serve`: AUs, launch builder, sessions, live journal.

The page and its assets are served without authentication; everything it shows comes from the
admin API under `/api/`, called from the browser with a session cookie that the API key the user
types in buys once per browser session (dashboard/session.py).
"""
