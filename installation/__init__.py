"""Operations on an installation as a whole: the instance folder and its keys, encrypted backups
and their container format, and the database roles of a split deployment.

Called by the CLI (and by the apps' factories to read the instance folder); none of it touches a
single case.
"""
