"""Uploads: files and images carried by messages.

Glossary: an *upload* is one file a member sent for one conversation (``conversation_id``), kept
as its served bytes (and, for images, a thumbnail) in GridFS under ``<id>`` and ``<id>.thumb``,
described by a record in ``uploads``. It is *pending* until a message carries it (``attach``),
*hidden* once that message is deleted (``detach``). Two more *scopes* use the same store: a
circle post's image (``scope: post``, keyed by ``circle_id``, server/posts/) and a profile
picture (``scope: avatar``, cropped square by avatar.py, server/profiles/); they are attached by
``attach_scoped`` and hidden with their post, or when the avatar is replaced.

Invariants: the stored bytes are what content detection accepted (never the client's claim of
type); only the uploader sees a pending upload, only the conversation's participants see an
attached one (a post image: whoever may see the circle's posts; an avatar: anyone signed in),
nobody sees a hidden one; an upload is attached only in its own scope; a pending upload older
than ``UPLOAD_PENDING_HOURS`` is deleted by the sweeper and can no longer be attached.
"""
