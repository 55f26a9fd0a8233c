"""Community notes: notes and ratings in the public Community Notes format, scored by the
published bridging matrix factorisation, shown with the posts they are about.

    eng.ingest_notes("notes-00000.tsv")        # -> NotesIngestReport (bad rows: quarantine)
    eng.ingest_ratings("ratings-00000.tsv")    # streamed in batches of `notes_batch`
    eng.score_notes()                          # -> ScoreReport; statuses replaced at once
    eng.notes_for(["x:123"])                   # -> {"x:123": [ScoredNote, ...]}
    eng.author_note_record(["u1"])             # -> {"u1": posts with a helpful misleading note}

Layout: `tsv` (the file format), `db` (notes.sqlite), `scoring` (the model and the status
rule), `community` (the part the Engine owns), `records` (the typed records), `commands`
(the `veristream notes` CLI).

**Threading.** Reads are safe from any thread (a connection per thread). Loading and scoring
write through one connection under a lock; a scoring run replaces every status in one
transaction, so readers see the previous run's statuses or the new ones, never a mix.
"""

from .community import CommunityNotes
from .records import (CLASSIFICATIONS, HELPFUL, MISLEADING, NEEDS_MORE_RATINGS, NOT_HELPFUL, NOT_MISLEADING, STATUSES,
                      NotesIngestReport, ScoredNote, ScoreReport)
from .scoring import FitParams, StatusRule, fit
from .tsv import FormatError, detect

__all__ = ["CommunityNotes", "ScoredNote", "ScoreReport", "NotesIngestReport", "FormatError", "detect", "fit",
           "FitParams", "StatusRule", "HELPFUL", "NOT_HELPFUL", "NEEDS_MORE_RATINGS", "STATUSES", "MISLEADING",
           "NOT_MISLEADING", "CLASSIFICATIONS"]
