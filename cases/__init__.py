"""Adal's use cases: what the portal, the back office, the CLI and the workers do with a case.

Plain functions taking a SQLAlchemy Session (the caller owns the transaction), no Flask: receiving
a report from any channel (intake, with its files in attachments), the thread between reporter
and staff (messages), who may open a case and sharing it (access, sharing), reading it with a
holder's key (reading), the workflow steps and their deadlines, protection records, retention
and purging, statistics, staff accounts, the working-day calendar, and the housekeeping worker's
pass. They sit between the apps above and `store` (persistence) and `rules` (the law as plain
functions) below.
"""
