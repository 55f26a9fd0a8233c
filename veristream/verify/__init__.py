"""Verification: a claim checked against the stream, evidence for and against side by side.

`Engine.verify(claim)` -> `Verdict` (`base.py`). One module per part:

* `stance.py`: support / deny / query / comment of a post toward a claim (learned);
* `veracity.py`: true / false / unverified of a rumour from its wording, for rumours like ones it learned (learned);
* `claims.py`: claim against evidence, Climate-FEVER style (learned);
* `credibility.py`: the author's and links' signals, each shown;
* `independence.py`: copies and one author's many posts count once;
* `verdict.py`: the rule from weighed evidence to a verdict, and its calibrated confidence;
* `verifier.py`: the flow; `record.py`: the verdict log behind authors' past record.

The learned parts are linear models over MiniLM vectors and lexical cues (`features.py`),
trained by `train.py` (`veristream train ...`, scikit-learn) and applied with numpy
(`linear.py`); their shipped weights and provenance are in `veristream/data/verify/`.
"""

from .base import VERDICTS, EvidencePost, NoteRef, Verdict, VerifyError
from .credibility import Credibility, Signal
from .independence import Corroboration
from .linear import Weights, WeightsError
from .stance import STANCES, Stance, StanceInput, StanceModel
from .veracity import Veracity, VeracityModel
from .verifier import Models, Verifier

__all__ = ["STANCES", "VERDICTS", "Corroboration", "Credibility", "EvidencePost", "Models", "NoteRef", "Signal",
           "Stance", "StanceInput", "StanceModel", "Veracity", "VeracityModel", "Verdict", "Verifier", "VerifyError",
           "Weights", "WeightsError"]
