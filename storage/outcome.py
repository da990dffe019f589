"""The writer's end of the crawl: one :class:`~storage.records.PageOutcome` in, one transaction, one count out."""

from __future__ import annotations

from storage.records import PageOutcome
from storage.store import Store


def apply_outcome(store: Store, outcome: PageOutcome) -> str:
    """Record ``outcome`` in one transaction and return the summary column it counts in.

    A page the fetch side did not store (``skipped``/``failed``) leaves its fetch state; a 304 touches the
    stored article (``unchanged``); an article is saved by the store's rules (new, updated, unchanged,
    duplicate). A :class:`~storage.errors.StorageError` propagates and leaves nothing of this outcome.
    """
    if outcome.outcome is not None:
        store.record_outcome(outcome.page)
        return outcome.outcome
    if outcome.not_modified:
        store.record_outcome(outcome.page, touch=True)
        return "unchanged"
    if outcome.article is None:
        raise ValueError(f"outcome for {outcome.url} has neither an outcome nor an article")
    saved = store.record_outcome(outcome.page, article=outcome.article)
    assert saved is not None
    return saved.outcome
