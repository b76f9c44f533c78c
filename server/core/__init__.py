"""Cross-cutting pieces: errors, strict schemas, clients, tokens, rate limits, the clock."""
