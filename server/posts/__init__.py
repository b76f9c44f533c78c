"""Circle posts: updates a circle publishes on its page (text, images, tags, an optional linked
activity), with comments and likes, read as a circle feed and as a member feed.

Glossary: a *post* belongs to one circle and one author; its *circle slot* ``n`` and *author
slot* ``m`` are dense numbers per circle and per author, claimed by inserting the post under
the unique keys ``cslot`` (``<circle>:<n>``) and ``aslot`` (``<author>:<m>``). A *page* is
``slot // PAGE``, stored as ``cpage`` / ``apage``: a feed reads one page by equality, newest page
first, never a range. Comments are numbered the same way per post (``kslot`` / ``kpage``).

Invariants: a slot is never reused (a deleted post stays as a tombstone, text and images
cleared), so pages only ever lose entries; a like is the document ``<post>:<user>`` (one per user,
idempotent); ``like_count`` and ``comment_count`` are recomputed from those documents after every
change (FerretDB v1 updates are not atomic, so a counter is never incremented); a private
circle's posts, comments, likes and images reach its members only (access.py).
"""
