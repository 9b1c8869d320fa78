"""Exports of the lists as files (issue 23): which lists (:mod:`.lists`), and a large list's
export as a long job with progress, its file kept for a while for its owner (:mod:`.jobs`).
The tables themselves are the domains' own (``gridapp/*/exports.py``)."""
