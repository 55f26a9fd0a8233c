"""CommunityNotes: one data directory's notes, ratings and scores (the Engine owns one).

Loading streams a TSV file in batches of `notes_batch` rows, one transaction each, so a
ratings file of any size loads in constant memory. Scoring reads every rating once into
numpy arrays (about 17 bytes a rating, plus the fit's working arrays) and replaces all
scores in one transaction.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..settings import Settings
from .db import NoteStore
from .records import HELPFUL, NEEDS_MORE_RATINGS, NOT_HELPFUL, NoteRow, NotesIngestReport, RatingRow, ScoredNote, \
    ScoreReport
from .scoring import FitParams, StatusRule, fit, select
from .tsv import BadRow, Kind, open_text, read

# (line, reason, raw row): a rejected row, handed to the caller
RejectFn = Callable[[int, str, str], None]

_RANK = {HELPFUL: 0, NEEDS_MORE_RATINGS: 1, NOT_HELPFUL: 2}


class CommunityNotes:
    def __init__(self, path: str | Path, settings: Settings | None = None, readonly: bool = False):
        s = settings or Settings()
        self.settings = s
        n = s.notes
        self.db = NoteStore(path, s.core.durability, readonly=readonly)
        self.fit_params = FitParams(n.lambda_intercept, n.lambda_factor, n.fit_max_iter, n.fit_tol, n.seed)
        self.rule = StatusRule(n.min_ratings, n.helpful_intercept, n.helpful_max_factor, n.not_helpful_intercept,
                               n.not_helpful_factor_slope)

    # -- loading -------------------------------------------------------------------------

    def ingest(self, path: str | Path, kind: Kind, on_reject: RejectFn | None = None) -> NotesIngestReport:
        """Store the rows of a notes or ratings file; bad rows go to `on_reject`, reading goes on."""
        t0 = time.perf_counter()
        rep = NotesIngestReport(str(path), kind)
        add = self.db.add_notes if kind == "notes" else self.db.add_ratings
        batch: list[NoteRow | RatingRow] = []
        with open_text(path) as f:
            for row in read(f, kind, str(path)):
                rep.rows += 1
                if isinstance(row, BadRow):
                    rep.rejected += 1
                    if on_reject is not None:
                        on_reject(row.line, row.reason, row.raw)
                    continue
                batch.append(row)
                if len(batch) >= self.settings.notes.batch:
                    rep.accepted += add(batch)  # type: ignore[arg-type]
                    batch = []
            if batch:
                rep.accepted += add(batch)  # type: ignore[arg-type]
        rep.seconds = time.perf_counter() - t0
        return rep

    # -- scoring -------------------------------------------------------------------------

    def score(self) -> ScoreReport:
        """Fit the bridging model to every stored rating and store each note's status."""
        t0 = time.perf_counter()
        arr = self.db.load_ratings()
        note_ids, note_idx = np.unique(arr.note_ids, return_inverse=True)
        rater_ids, rater_idx = np.unique(arr.raters, return_inverse=True)
        keep = select(note_idx, rater_idx, self.rule.min_ratings, self.settings.notes.min_rater_ratings)
        fit_notes, fn_idx = np.unique(note_idx[keep], return_inverse=True)
        fit_raters, fr_idx = np.unique(rater_idx[keep], return_inverse=True)
        values = arr.value2[keep].astype(np.float64) / 2
        del arr
        f = fit(fn_idx, fr_idx, values, len(fit_notes), len(fit_raters), self.fit_params)
        fitted = np.bincount(fn_idx, minlength=len(fit_notes))
        status = self.rule.apply(f.note_intercept, f.note_factor, fitted)

        # Every note with ratings gets a row; those left out of the fit need more ratings.
        n = len(note_ids)
        b = np.full(n, np.nan)
        w = np.full(n, np.nan)
        cnt = np.zeros(n, dtype=np.int64)
        st = np.full(n, NEEDS_MORE_RATINGS, dtype=object)
        b[fit_notes], w[fit_notes], cnt[fit_notes], st[fit_notes] = f.note_intercept, f.note_factor, fitted, status
        rows = [(nid, None if math.isnan(bi) else bi, None if math.isnan(wi) else wi, c, s)
                for nid, bi, wi, c, s in zip(note_ids.tolist(), b.tolist(), w.tolist(), cnt.tolist(), st.tolist())]
        raters = list(zip(f.rater_intercept.tolist(), f.rater_factor.tolist(), rater_ids[fit_raters].tolist()))
        counts = self.db.counts()
        rep = ScoreReport(notes=counts["notes"], ratings=counts["ratings"], raters=counts["raters"],
                          helpful=int((status == HELPFUL).sum()), not_helpful=int((status == NOT_HELPFUL).sum()),
                          fitted_notes=len(fit_notes), fitted_ratings=int(keep.sum()), fitted_raters=len(fit_raters),
                          iterations=f.iterations, loss=round(f.loss, 6) if len(values) else None,
                          rmse=round(f.rmse, 6) if len(values) else None,
                          global_intercept=round(f.mu, 6) if len(values) else None, fit_seconds=round(f.seconds, 3),
                          scored_at=datetime.now(timezone.utc))
        rep.seconds = round(time.perf_counter() - t0, 3)
        self.db.save_scores(rows, raters, rep.to_dict())
        return rep

    def last_report(self) -> ScoreReport | None:
        d = self.db.last_run()
        if d is None:
            return None
        d["scored_at"] = datetime.fromisoformat(d["scored_at"].replace("Z", "+00:00")) if d.get("scored_at") else None
        known = ScoreReport.__dataclass_fields__
        return ScoreReport(**{k: v for k, v in d.items() if k in known})

    # -- reading -------------------------------------------------------------------------

    def notes_for(self, post_keys: Sequence[str]) -> dict[str, list[ScoredNote]]:
        """Every key of `post_keys`, with its notes: helpful first, then needing more ratings,
        then not helpful; by intercept within each."""
        out: dict[str, list[ScoredNote]] = {k: [] for k in post_keys}
        for r in self.db.notes_for(list(out)):
            out[r.post_key].append(ScoredNote(
                note_id=str(r.note_id), post_key=r.post_key, author_participant_id=r.author,
                created_at=datetime.fromtimestamp(r.created_ms / 1000, timezone.utc), summary=r.summary,
                classification=r.classification,  # type: ignore[arg-type]
                status=(r.status or NEEDS_MORE_RATINGS),  # type: ignore[arg-type]
                intercept=r.intercept, factor=r.factor, ratings=r.ratings))
        for notes in out.values():
            notes.sort(key=lambda n: (_RANK[n.status], -(n.intercept if n.intercept is not None else -9.0),
                                      n.created_at, n.note_id))
        return out

    def helpful_misleading_keys(self) -> list[str]:
        return self.db.helpful_misleading_keys()

    def close(self) -> None:
        self.db.close()
