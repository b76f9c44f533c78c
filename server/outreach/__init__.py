"""Outreach: organisers act on a segment of their members (a DM, an invitation, an
announcement), each send recorded and counted (docs/protocol.md, "Outreach")."""
