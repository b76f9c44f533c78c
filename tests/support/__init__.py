"""Test and benchmark support: real FerretDB, Redis and server processes on free ports."""
