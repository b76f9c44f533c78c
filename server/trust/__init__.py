"""Trust: organiser verification, platform administrators, circles' payout accounts and
payout statements.

Glossary: a *submission* is one verification request of a user (legal name, document type and
number, an image upload); a *review* is a platform administrator's decision on it; a user is a
*verified organiser* while their latest submission is approved. A *payout account* is where a
circle's organisers are paid (an IBAN or a payment-platform handle); a *statement* sums a
circle's ledger for a period.

Invariants: a submission's ``_id`` is ``<user_id>-<n>`` with ``n`` one more than the user's
previous submissions, so two concurrent submissions cannot both be stored; a review's ``_id`` is
its submission's, so the first review wins and the status stored on the submission is a copy
that can be recomputed from the review. Document numbers and IBANs are stored encrypted
(crypto.py); only their last 4 characters are stored in the clear, and neither is ever logged.
"""
