"""Information sessions: the town schedules them (once or weekly), invites prospects, merchants register
(themselves through a signed link, or an agent registers them), a reminder goes out the day before,
the agent prints the attendance sheet and marks who came, which moves the prospect on.

Times: a series keeps its rule in the town's wall clock (« lundi 9 h »); each occurrence stores its
start and end in UTC, computed from that rule in the town's time zone, so 9 h stays 9 h across DST.
"""
