"""Operator commands: backups of the embedded store and their restore (scripts/backup,
scripts/restore; docs/deploy.md, "Backups and restore")."""
