"""Assisted mode: a town agent acts for a merchant, every change recorded with both identities.

``accounts.assisted`` holds the rule of who acts for whom (read by catalog, checkout, settlement);
this package owns the sessions, the log, the middleware that resumes a session on each request, the
recorder of changes and the pages (start, end, the merchant's history).
"""
