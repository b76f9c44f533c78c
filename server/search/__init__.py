"""Message search: a term index of its own, kept beside the conversation log.

Glossary: a *term* is a casefolded, NFKC-normalised word (or, in CJK text, a character or a
pair of neighbouring characters); a *doc* is the indexed copy of one change of a message (its
terms, text and sender, at the change's rev), stored with the other copies one piece of
indexing made of the conversation in a *pack* (``search_docs``), looked up by the equality
``(terms, c)`` (one of its terms, its conversation) or by a message id in ``ids``; a
conversation's *mark* (``search_marks``) is the rev up to which every change of it is indexed.

Invariants: the index is derived data, written after the message is stored and never in its
way; packs are only inserted, and a message's copy of the highest rev is the one that counts,
so indexing the same change twice (two processes, a retry, a rebuild) changes nothing a reader
sees. Whatever an index write lost is found again from the mark: the next change of that
conversation (or a search in it) indexes every rev above it.
"""
