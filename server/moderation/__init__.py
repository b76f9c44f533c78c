"""Running a circle safely: the permission table, role changes, and moderation (mutes, kicks,
bans, slow mode, rules, invite revocation) with an audit log of every action."""
