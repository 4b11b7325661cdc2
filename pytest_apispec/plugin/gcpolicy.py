"""How the plugin spares CPython's garbage collector the objects that collecting docs makes.

Collecting thousands of docs makes hundreds of thousands of objects (docs, items, fixtures)
that nearly all live until the session ends. The cyclic garbage collector traverses every one
of them again at each full collection: one each time the heap has grown by a quarter while
collecting (a fifth of the time it takes to collect 5,000 docs), and those pytest makes at exit
to catch unraisable exceptions (about 0.2 s each for 5,000 docs). So, once a doc is met:

* until collection ends, only the young generations are collected (short-lived garbage is
  still freed); the usual thresholds come back afterwards;
* once collection is done, what it made is frozen (``gc.freeze()``): later collections skip
  it, pytest's exit collections and the interpreter's own at shutdown (which otherwise take a
  second for 5,000 docs, since pytest keeps its last session alive until then) among them. A
  process that runs pytest again (``pytester``, a watcher) unfreezes it when the next session
  is configured, so the earlier session can be freed;
* a contract a doc names, loaded while the docs run and kept until the process ends, is frozen
  the same way once it is loaded (:meth:`CollectionGc.long_lived_made`): the full collections
  of a run (two at exit among them) otherwise traverse its document again each time.

A session without docs is left alone, ``api_tune_gc = false`` turns all this off, and nothing is
frozen when something else already uses ``gc.freeze()`` (a pre-fork server in the tests, say)
or the interpreter has no such thing.
"""

from __future__ import annotations

import gc

_NO_FULL_COLLECTIONS = 1_000_000


class CollectionGc:
    """The garbage collector's settings over one session's collection."""

    _frozen_by_a_session = False  # by one of this process: it is unfrozen by the next

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._thresholds: tuple[int, int, int] | None = None
        if CollectionGc._frozen_by_a_session:
            CollectionGc._frozen_by_a_session = False
            gc.unfreeze()

    def docs_found(self) -> None:
        """Pause full collections until :meth:`collection_done` (once; later calls are free)."""
        if self.enabled and self._thresholds is None:
            self._thresholds = gc.get_threshold()
            young, middle, _ = self._thresholds
            gc.set_threshold(young, middle, _NO_FULL_COLLECTIONS)

    def collection_done(self, succeeded: bool) -> None:
        """Restore the thresholds and, after a collection that found docs, freeze its heap."""
        if self._thresholds is None:
            return
        young, middle, old = self._thresholds
        self._thresholds = None
        if gc.get_threshold() == (young, middle, _NO_FULL_COLLECTIONS):  # else not ours to undo
            gc.set_threshold(young, middle, old)
        if succeeded and hasattr(gc, "freeze") and not gc.get_freeze_count():
            gc.collect(1)  # the young garbage first: frozen, it would stay until the end
            gc.freeze()
            CollectionGc._frozen_by_a_session = True

    def long_lived_made(self) -> None:
        """Freeze what was made for good since (a loaded contract): only where the session froze
        what collection made, so never when the policy is off or someone else freezes."""
        if CollectionGc._frozen_by_a_session and gc.get_freeze_count():
            gc.collect(1)
            gc.freeze()
