"""Message search: a term index of its own, kept beside the conversation log.

Glossary: a *term* is a casefolded, NFKC-normalised word (or, in CJK text, a character or a
pair of neighbouring characters); a *doc* is the indexed copy of one message (``search_docs``,
``_id`` = the message's: its terms, text and sender), looked up by the equality ``(terms, c)``
(one of its terms, its conversation); a conversation's *mark* (``search_marks``) is the rev up
to which every change of it is indexed.

Invariants: the index is derived data, written after the message is stored and never in its
way; docs have deterministic ids, so indexing the same change twice (two
processes, a retry, a rebuild) changes nothing; a doc only moves forward in rev. Whatever an
index write lost is found again from the mark: the next change of that conversation (or a
search in it) indexes every rev above it.
"""
